"""What the workflow's entry points share: opening a change on a locked signal and finishing
it (saved, announced, carried to a mass incident's children), the draft writer, the facts a
published reply announces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app.locks import signal_lock
from signals_app.models import Reply, Signal
from signals_app.outbound import outbox
from signals_app.outbound.models import WebhookEvent
from signals_app.workflow import changes
from signals_app.workflow.changes import Change
from signals_app.workflow.services.tell import followers_tell, survey_ask

logger = logging.getLogger(__name__)


def begin(signal: Signal | int, actor: User | None, expected_version: int | None) -> Change:
    """Lock the signal (checking the version the caller saw) and open a change on it."""
    locked = signal_lock(signal, expected_version)
    return Change(locked, actor_id=actor.pk if actor else None, at=timezone.now())


def finish(change: Change, *, actor: User | None) -> Signal:
    """Save the change and announce its status moves (and carry them to a mass incident)."""
    signal = change.signal
    moves = list(change.moves)
    reason = change_reason(change)
    changes.save(change)
    for source, target in moves:
        outbox.webhook_emit(
            event=WebhookEvent.STATUS_CHANGED, signal=signal,
            extra={"from_status": source, "to_status": target},
        )  # fmt: skip
        logger.info(
            "signal_status_changed signal_id=%s from=%s to=%s actor_id=%s",
            signal.pk, source, target, actor.pk if actor else None,
        )  # fmt: skip
    if moves and signal.is_mass_incident:
        children_follow(signal, actor=actor, reason=reason)
    return signal


def late_once_tell(
    rows: QuerySet, *, now: datetime, limit: int, related: str,
    tell: Callable[[Change, Any], None],
) -> int:  # fmt: skip
    """The rows of `rows` (a forward, a co-executor's part) past their `due_at`, each told once:
    locked one at a time (SKIP LOCKED: sweeps running at once share them), marked
    `overdue_told_at`, and `tell` writes the timeline entry and the notifications on the
    signal's change. How many were told."""
    due = rows.filter(overdue_told_at__isnull=True, due_at__lt=now)
    told = 0
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            row = (
                due.select_for_update(skip_locked=True, of=("self",)).select_related(related)
                .filter(pk=pk).first()
            )  # fmt: skip
            if row is None:
                continue
            change = begin(row.signal_id, None, None)
            row.overdue_told_at = now
            row.save(update_fields=["overdue_told_at"])
            tell(change, row)
            finish(change, actor=None)
            told += 1
    return told


def change_reason(change: Change) -> str:
    """The reason the last status move of a change gave (children of a mass incident cite it)."""
    for entry in reversed(change.entries or ()):
        if entry.kind == "status_changed":
            return entry.reason
    return ""


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
        if copy.kind == Reply.Kind.FINAL:
            survey_ask(change)  # each child's author is asked on their own channel
            followers_tell(change, copy)
        changes.save(change)
    outbox.reply_deliveries_enqueue(pairs=list(zip(copies, children, strict=True)))
    outbox.webhook_emit_many(
        event=WebhookEvent.REPLY_PUBLISHED, signals=children,
        extra={copy.signal_id: reply_facts(copy) for copy in copies},
    )  # fmt: skip


def reply_facts(reply: Reply) -> dict[str, Any]:
    """What a "reply published" webhook says of the reply (its text is public by then)."""
    return {
        "reply": {"id": reply.pk, "kind": reply.kind, "text": reply.text,
                  "published_at": reply.published_at},
    }  # fmt: skip


def draft_write(
    signal: Signal, *, text: str, kind: str, author: User | None, draft: Reply | None = None
) -> Reply:
    """Write a draft (a new one, or `draft` edited) on a locked signal: private work, it neither
    moves the signal nor changes its version."""
    if draft is None:
        return Reply.objects.create(
            signal=signal, kind=kind, state=Reply.State.DRAFT, text=text, author=author,
            last_editor=author,
        )  # fmt: skip
    draft.text, draft.kind, draft.state = text, kind, Reply.State.DRAFT
    draft.author = draft.last_editor = author
    draft.save(update_fields=["text", "kind", "state", "author", "last_editor"])
    return draft
