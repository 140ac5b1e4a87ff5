"""Repeats and mass incidents: a repeat is set aside, a mass incident carries its children.

Once signals are merged into a mass incident, the lead's moves, agency and published replies
reach every child (each answered where its own author wrote).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import timeline
from signals_app.errors import InvalidInput
from signals_app.locks import signal_lock, signals_lock
from signals_app.models import Reply, Signal
from signals_app.outbound import outbox
from signals_app.outbound.models import WebhookEvent
from signals_app.workflow import changes
from signals_app.workflow.actions import authorize
from signals_app.workflow.changes import Change
from signals_app.workflow.services.moves import begin, finish

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
    logger.info(
        "signal_merged parent_id=%s children=%s actor_id=%s", lead.pk, len(merged), actor_id
    )
    return lead, merged


def children_follow(lead: Signal, *, actor: User | None, reason: str) -> None:
    """Carry a mass incident's status (and agency, and answer time) to its children; inside
    the lead's transaction, after its move."""
    followers = list(
        Signal.objects.select_for_update().filter(parent=lead).exclude(status=lead.status)
        .order_by("pk")
    )  # fmt: skip
    note = _("Follows mass incident %(number)s") % {"number": lead.number}
    now = timezone.now()
    moved: dict[int, dict[str, Any]] = {}
    for child in followers:
        moved[child.pk] = {"from_status": child.status, "to_status": lead.status}
        change = Change(child, actor_id=actor.pk if actor else None, at=now)
        changes.follow(change, lead, reason=f"{note}. {reason}" if reason else note)
        changes.save(change)
    # The children are announced together (one write), not one by one.
    outbox.webhook_emit_many(event=WebhookEvent.STATUS_CHANGED, signals=followers, extra=moved)


def children_get_reply(lead: Signal, reply: Reply, actor: User | None) -> None:
    """Each child of a mass incident gets the published reply as its own (delivered to where
    its own author wrote); inside the lead's transaction."""
    from signals_app.workflow.services.replies import reply_facts

    children = list(Signal.objects.select_for_update().filter(parent=lead).order_by("pk"))
    copies = Reply.objects.bulk_create(
        Reply(
            signal_id=child.pk, kind=reply.kind, state=Reply.State.PUBLISHED, text=reply.text,
            author_id=reply.author_id, last_editor_id=reply.last_editor_id, reviewer=actor,
            submitted_at=reply.submitted_at, published_at=reply.published_at,
        )
        for child in children
    )  # fmt: skip
    now = timezone.now()
    for child, copy in zip(children, copies, strict=True):
        change = Change(child, actor_id=actor.pk if actor else None, at=now)
        changes.reply_approved(change, copy, mass_incident=lead.number)
        changes.save(change)
    outbox.reply_deliveries_enqueue(pairs=list(zip(copies, children, strict=True)))
    outbox.webhook_emit_many(
        event=WebhookEvent.REPLY_PUBLISHED, signals=children,
        extra={copy.signal_id: reply_facts(copy) for copy in copies},
    )  # fmt: skip
