"""Give the open signals of a policy its newest version, in short batches (an explicit step
after a policy edit: a policy change applies to new signals, and to open ones only here)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import timeline
from signals_app.choices import OPEN_STATUSES
from signals_app.models import Signal
from signals_app.sla import deadlines
from signals_app.sla.engine import DEADLINES
from signals_app.sla.models import SLAPolicyVersion
from signals_app.sla.selectors import fired_steps, schedule_for_signal, terms_of
from signals_app.workflow.services import signals_deadlines_save

logger = logging.getLogger(__name__)


def sla_recalculate_policy(
    *, policy_id: int, batch_size: int = 500, actor: User | None = None
) -> dict[str, int]:
    """Recompute the deadlines of the policy's open signals with its newest version.

    Each batch locks at most `batch_size` rows (ordered by id) for one short transaction, so
    the table is never locked for long and users' edits wait at most one batch.
    """
    latest = SLAPolicyVersion.objects.filter(policy_id=policy_id).order_by("-number").first()
    if latest is None:
        return {"checked": 0, "changed": 0}
    checked = changed = 0
    last_id = 0
    actor_id = actor.pk if actor else None
    reason = _("Policy changed: version %(version)s") % {"version": latest.number}
    while True:
        with transaction.atomic():
            batch = list(
                Signal.objects.select_for_update(of=("self",))
                .select_related("agency", "region", "sla_version")
                .filter(
                    pk__gt=last_id,
                    status__in=OPEN_STATUSES,
                    sla_version__policy_id=policy_id,
                    sla_version__number__lt=latest.number,
                )
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            now = timezone.now()
            cache: dict = {}
            fired = fired_steps(batch)
            entries = []
            for signal in batch:
                before = deadlines.dues_snapshot(signal)
                signal.sla_version = latest
                schedule = schedule_for_signal(signal, cache)
                for name, value in deadlines.compute_dues(
                    signal, terms_of(latest), schedule
                ).items():
                    setattr(signal, name, value)
                deadlines.refresh(
                    signal, now=now, schedule=schedule, fired=fired.get(signal.pk, set())
                )
                after = deadlines.dues_snapshot(signal)
                entries.append(
                    timeline.sla_recomputed(
                        signal.pk, reason=reason, actor_id=actor_id, at=now,
                        changes={"due": {k: [before[k], after[k]] for k in DEADLINES},
                                 "policy_version": latest.number},
                    )
                )  # fmt: skip
                changed += int(before != after)
            signals_deadlines_save(signals=batch, entries=entries)
            checked += len(batch)
            last_id = batch[-1].pk
    logger.info(
        "sla_recalculated policy_id=%s version=%s checked=%s changed=%s",
        policy_id, latest.number, checked, changed,
    )  # fmt: skip
    return {"checked": checked, "changed": changed}
