"""Repeats and mass incidents: a repeat is set aside, a mass incident carries its children.

Once signals are merged into a mass incident, the lead's moves, agency and published replies
reach every child (each answered where its own author wrote).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import timeline
from signals_app.choices import Status
from signals_app.errors import InvalidInput
from signals_app.locks import signal_lock, signals_lock
from signals_app.models import Signal
from signals_app.workflow import changes
from signals_app.workflow.actions import authorize
from signals_app.workflow.changes import Change
from signals_app.workflow.services.base import begin, children_follow, finish

logger = logging.getLogger(__name__)


@transaction.atomic
def signal_mark_duplicate(
    *,
    signal: Signal | int,
    original: Signal,
    actor: User | None,
    expected_version: int | None = None,
) -> Signal:
    """Link a repeat to the first signal and take it out of the work (rejected as a repeat)."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("duplicate", actor=actor, signal=locked)
    if original.pk == locked.pk or original.region_id != locked.region_id:
        raise InvalidInput(_("A signal can only repeat another signal of its region."))
    changes.mark_duplicate(change, original_id=original.pk, original_number=original.number)
    return finish(change, actor=actor)


@transaction.atomic
def signal_merge(
    *, parent: Signal | int, children: list[int], actor: User | None
) -> tuple[Signal, list[Signal]]:
    """Make `parent` a mass incident carrying the work of `children` (analysts).

    The children keep their status until the parent moves; from then on its status, agency
    and published replies reach every one of them. Returns the parent and the merged children;
    children that cannot join (another region, already elsewhere, the parent itself) are
    refused with a domain error before anything is written.
    """
    lead = signal_lock(parent)
    authorize("merge", actor=actor, signal=lead)
    wanted = sorted({pk for pk in children if pk != lead.pk})
    rows = signals_lock(wanted)
    if len(rows) != len(wanted):
        raise InvalidInput(_("Some of the signals do not exist."))
    for child in rows:
        if child.region_id != lead.region_id:
            raise InvalidInput(_("Only signals of one region form a mass incident."))
        if child.is_mass_incident and child.children.exists():
            raise InvalidInput(
                _("Signal %(number)s is a mass incident itself.") % {"number": child.number}
            )
        if child.parent_id not in (None, lead.pk):
            raise InvalidInput(
                _("Signal %(number)s belongs to another mass incident.") % {"number": child.number}
            )
    now = timezone.now()
    actor_id = actor.pk if actor else None
    if not lead.is_mass_incident:
        change = Change(lead, actor_id=actor_id, at=now)
        lead.is_mass_incident = True
        change.entries.append(
            timeline.mass_incident(lead.pk, children=len(rows), actor_id=actor_id, at=now)
        )
        changes.save(change)
    merged = []
    for child in rows:
        if child.parent_id == lead.pk:
            continue
        change = Change(child, actor_id=actor_id, at=now)
        child.parent = lead
        child.is_mass_incident = False
        change.entries.append(
            timeline.merged(child.pk, parent=lead.number, actor_id=actor_id, at=now)
        )
        changes.save(change)
        merged.append(child)
    if merged and (lead.agency_id or lead.status != Status.NEW):
        children_follow(lead, actor=actor, reason="")  # from now on they follow the lead
    logger.info(
        "signal_merged parent_id=%s children=%s actor_id=%s", lead.pk, len(merged), actor_id
    )
    return lead, merged
