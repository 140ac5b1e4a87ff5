"""Every write to a signal's workflow state. One function, `_move`, assigns the status.

Each entry point runs in one transaction, locks the signal row (`SELECT … FOR UPDATE`), checks
the optimistic version the caller saw, checks the actor's right, changes the row and writes the
SignalEvent — or raises a WorkflowError and writes nothing.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership, Region, User
from signals_app.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Note,
    Notification,
    Priority,
    Reply,
    Signal,
    SignalEvent,
    Status,
)
from signals_app.outbound import services as outbound
from signals_app.outbound.models import WebhookEvent
from signals_app.sla import services as sla
from signals_app.workflow.errors import ConflictError, InvalidInput, InvalidTransition
from signals_app.workflow.permissions import actor_kinds, require
from signals_app.workflow.transitions import (
    AGENCY_STAFF,
    ANALYST,
    CENTRE,
    COORDINATOR,
    EXECUTOR,
    REOPENING,
    transition_for,
)

logger = logging.getLogger(__name__)

OPEN_FOR_AGENCY_WORK = (Status.IN_PROGRESS, Status.AWAITING_INFO, Status.REPLY_REVIEW)


# --- helpers -------------------------------------------------------------------------------


def _lock(signal: Signal | int, expected_version: int | None) -> Signal:
    """Lock the signal row for this transaction and check the version the caller saw."""
    signal_id = signal if isinstance(signal, int) else signal.pk
    locked = Signal.objects.select_for_update(of=("self",)).get(pk=signal_id)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError()
    return locked


def _event(
    signal: Signal,
    kind: str,
    actor: User | None,
    *,
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> SignalEvent:
    return SignalEvent.objects.create(
        signal=signal,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        changes=changes or {},
        reason=reason,
    )


def _save(signal: Signal, fields: list[str]) -> None:
    signal.version += 1
    fields = [*fields, *sla.sla_refresh(signal), "version", "updated_at"]
    signal.save(update_fields=list(dict.fromkeys(fields)))


def _move(
    signal: Signal,
    *,
    to_status: str,
    actor: User | None,
    reason: str = "",
    extra_fields: list[str] | None = None,
    changes: dict[str, Any] | None = None,
    following: Signal | None = None,
) -> bool:
    """Apply one status move to a locked signal: the only place that assigns a status.

    Returns False for a same-status no-op. Raises InvalidTransition or ActionForbidden before
    anything is changed. A mass incident's move reaches its children: they follow it
    (`following` is their parent, whose move was the authorised one).
    """
    source = signal.status
    if source == to_status:
        return False
    if following is None:
        move = transition_for(source, to_status)
        if move is None:
            raise InvalidTransition(
                _("A signal in status “%(source)s” cannot move to “%(target)s”.")
                % {"source": Status(source).label, "target": Status(to_status).label}
            )
        require(actor=actor, signal=signal, roles=move.roles)
        reason = reason.strip()
        if move.reason_required and not reason:
            raise InvalidInput(_("A reason is required for this action."))
    if to_status == Status.IN_PROGRESS and signal.agency_id is None:
        raise InvalidInput(_("Route the signal to an agency first."))
    fields = ["status", *(extra_fields or [])]
    signal.status = to_status
    if to_status == Status.REJECTED:
        signal.rejection_reason = reason
        fields.append("rejection_reason")
    elif source == Status.REJECTED:
        signal.rejection_reason = ""
        fields.append("rejection_reason")
    if (source, to_status) in REOPENING:
        signal.reopened_count += 1
        fields.append("reopened_count")
    fields += sla.sla_on_move(signal, source=source, target=to_status, actor=actor)
    _save(signal, fields)
    _event(
        signal,
        SignalEvent.Kind.STATUS_CHANGED,
        actor,
        from_status=source,
        to_status=to_status,
        reason=reason,
        changes=changes,
    )
    if following is None:  # children are announced together by _children_follow
        outbound.webhook_emit(
            event=WebhookEvent.STATUS_CHANGED, signal=signal,
            extra={"from_status": source, "to_status": to_status},
        )  # fmt: skip
    logger.info(
        "signal_status_changed signal_id=%s from=%s to=%s actor_id=%s",
        signal.pk,
        source,
        to_status,
        actor.pk if actor else None,
    )
    if signal.is_mass_incident:
        _children_follow(signal, actor=actor, reason=reason)
    return True


def _children_follow(parent: Signal, *, actor: User | None, reason: str) -> None:
    """Carry a mass incident's status (and agency, and answer time) to its children."""
    children = (
        Signal.objects.select_for_update()
        .filter(parent=parent)
        .exclude(status=parent.status)
        .order_by("pk")
    )
    moved: dict[int, dict[str, Any]] = {}
    followers = list(children)
    for child in followers:
        moved[child.pk] = {"from_status": child.status, "to_status": parent.status}
        fields = []
        if child.agency_id != parent.agency_id and parent.agency_id is not None:
            child.agency_id = parent.agency_id
            fields.append("agency")
        if parent.status == Status.ANSWERED:
            child.answered_at = parent.answered_at
            fields.append("answered_at")
            if child.reacted_at is None:
                child.reacted_at = parent.reacted_at
                fields.append("reacted_at")
        note = _("Follows mass incident %(number)s") % {"number": parent.number}
        _move(
            child,
            to_status=parent.status,
            actor=actor,
            reason=f"{note}. {reason}" if reason else note,
            extra_fields=fields,
            following=parent,
        )
    outbound.webhook_emit_many(event=WebhookEvent.STATUS_CHANGED, signals=followers, extra=moved)


# --- creation ------------------------------------------------------------------------------


def signal_number_allocate(*, region: Region, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers for (region, year); return the first one.

    Must run inside the transaction that inserts the signals: the counter row stays locked
    until commit, and a rollback gives the numbers back.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO signals_app_signalnumbercounter (region_id, year, last_value)
            VALUES (%s, %s, %s)
            ON CONFLICT (region_id, year)
            DO UPDATE SET last_value = signals_app_signalnumbercounter.last_value + EXCLUDED.last_value
            RETURNING last_value
            """,
            [region.pk, year, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def signal_number_format(*, region_code: str, year: int, value: int) -> str:
    return f"{region_code}-{year}-{value:06d}"


@transaction.atomic
def signal_create(
    *,
    region: Region,
    channel: str,
    text: str,
    received_at: datetime | None = None,
    actor: User | None = None,
    **fields: Any,
) -> Signal:
    """Create a signal in status new with its human number and its "created" event."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The signal has no text."))
    received_at = received_at or timezone.now()
    year = timezone.localtime(received_at, timezone=zoneinfo.ZoneInfo(region.time_zone)).year
    value = signal_number_allocate(region=region, year=year)
    signal = Signal.objects.create(
        region=region,
        number=signal_number_format(region_code=region.code, year=year, value=value),
        channel=channel,
        text=text,
        received_at=received_at,
        **fields,
    )
    _event(
        signal, SignalEvent.Kind.CREATED, actor, to_status=Status.NEW, changes={"channel": channel}
    )
    sla.sla_assign(signal, actor=actor)
    outbound.webhook_emit(event=WebhookEvent.SIGNAL_CREATED, signal=signal)
    logger.info(
        "signal_created signal_id=%s number=%s channel=%s", signal.pk, signal.number, channel
    )
    return signal


# --- status moves --------------------------------------------------------------------------


@transaction.atomic
def signal_transition(
    *,
    signal: Signal | int,
    to_status: str,
    actor: User | None,
    reason: str = "",
    expected_version: int | None = None,
) -> Signal:
    """Move a signal to another status if the table and the actor's role allow it."""
    locked = _lock(signal, expected_version)
    _move(locked, to_status=to_status, actor=actor, reason=reason)
    return locked


@transaction.atomic
def signal_route(
    *,
    signal: Signal | int,
    agency: Agency,
    actor: User | None,
    assignee: User | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Signal:
    """Send a signal to an agency (new → in work), or reroute it to another one."""
    locked = _lock(signal, expected_version)
    require(actor=actor, signal=locked, roles=CENTRE)
    if agency.region_id != locked.region_id:
        raise InvalidInput(_("The agency belongs to another region."))
    if not agency.is_active:
        raise InvalidInput(_("The agency is inactive."))
    if locked.status not in (Status.NEW, *OPEN_FOR_AGENCY_WORK):
        raise InvalidTransition(
            _("A signal in status “%(status)s” cannot be routed.")
            % {"status": Status(locked.status).label}
        )
    if assignee is not None:
        _check_assignee(assignee, agency.pk)
    old_agency_id = locked.agency_id
    if old_agency_id == agency.pk and (assignee is None or assignee.pk == locked.assignee_id):
        return locked  # already there: nothing to do
    locked.agency = agency
    locked.assignee = assignee
    changes = {
        "agency": [old_agency_id, agency.pk],
        "assignee": [None, assignee.pk if assignee else None],
    }
    _event(locked, SignalEvent.Kind.ROUTED, actor, changes=changes, reason=reason)
    # From now on the deadlines count in the agency's calendar and time zone.
    recomputed = sla.sla_recompute(locked, actor=actor, reason=_("Routed"), rematch=False)
    fields = ["agency", "assignee", *recomputed]
    if locked.status == Status.NEW:
        _move(locked, to_status=Status.IN_PROGRESS, actor=actor, extra_fields=fields)
    else:
        _save(locked, fields)
    return locked


def _check_assignee(assignee: User, agency_id: int) -> None:
    if not Membership.objects.filter(user=assignee, agency_id=agency_id).exists():
        raise InvalidInput(_("The assignee is not a member of the agency."))


@transaction.atomic
def signal_assign(
    *,
    signal: Signal | int,
    assignee: User | None,
    actor: User | None,
    expected_version: int | None = None,
) -> Signal:
    """Assign (or unassign, with None) an executor of the signal's agency."""
    locked = _lock(signal, expected_version)
    require(actor=actor, signal=locked, roles={ANALYST, COORDINATOR})
    if locked.agency_id is None or locked.status not in OPEN_FOR_AGENCY_WORK:
        raise InvalidTransition(_("Only a signal in the work of an agency can be assigned."))
    if assignee is not None:
        _check_assignee(assignee, locked.agency_id)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    changes = {"assignee": [locked.assignee_id, assignee.pk if assignee else None]}
    locked.assignee = assignee
    _save(locked, ["assignee"])
    _event(locked, SignalEvent.Kind.ASSIGNED, actor, changes=changes)
    return locked


@transaction.atomic
def signal_take(
    *, signal: Signal | int, actor: User, expected_version: int | None = None
) -> Signal:
    """An agency employee takes the signal into work: assignee and first reaction."""
    locked = _lock(signal, expected_version)
    require(actor=actor, signal=locked, roles=AGENCY_STAFF)
    if locked.status not in (Status.IN_PROGRESS, Status.AWAITING_INFO):
        raise InvalidTransition(_("Only a signal in work can be taken."))
    if locked.assignee_id not in (None, actor.pk):
        raise InvalidInput(_("The signal is assigned to someone else; ask the coordinator."))
    fields = []
    changes: dict[str, Any] = {}
    if locked.assignee_id is None:
        locked.assignee = actor
        fields.append("assignee")
        changes["assignee"] = [None, actor.pk]
    if locked.reacted_at is None:
        locked.reacted_at = timezone.now()
        fields.append("reacted_at")
    if not fields and locked.status == Status.IN_PROGRESS:
        return locked
    _event(locked, SignalEvent.Kind.TAKEN, actor, changes=changes)
    if locked.status == Status.AWAITING_INFO:
        _move(locked, to_status=Status.IN_PROGRESS, actor=actor, extra_fields=fields)
    else:
        _save(locked, fields)
    return locked


def signal_request_info(
    *, signal: Signal | int, question: str, actor: User, expected_version: int | None = None
) -> Signal:
    """Ask the citizen for details: the clock pauses while the signal waits."""
    return signal_transition(
        signal=signal,
        to_status=Status.AWAITING_INFO,
        actor=actor,
        reason=question,
        expected_version=expected_version,
    )


def signal_reject(
    *, signal: Signal | int, reason: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Reject spam, a non-complaint or a signal that is not ours; the reason is required."""
    return signal_transition(
        signal=signal,
        to_status=Status.REJECTED,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
    )


def signal_restore(
    *, signal: Signal | int, actor: User, expected_version: int | None = None
) -> Signal:
    """Bring a rejected signal back to the new ones."""
    return signal_transition(
        signal=signal, to_status=Status.NEW, actor=actor, expected_version=expected_version
    )


@transaction.atomic
def signal_close(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Close an answered signal."""
    locked = _lock(signal, expected_version)
    if locked.status == Status.ANSWERED:
        locked.resolved_at = timezone.now()
    _move(locked, to_status=Status.CLOSED, actor=actor, extra_fields=["resolved_at"])
    return locked


@transaction.atomic
def signal_reopen(
    *,
    signal: Signal | int,
    reason: str,
    actor: User | None,
    agency: Agency | None = None,
    expected_version: int | None = None,
) -> Signal:
    """Reopen an answered or closed signal ("not solved"); counted in the reports."""
    locked = _lock(signal, expected_version)
    fields = ["resolved_at"]
    if agency is not None:
        if agency.region_id != locked.region_id:
            raise InvalidInput(_("The agency belongs to another region."))
        locked.agency = agency
        fields.append("agency")
    locked.resolved_at = None
    _move(locked, to_status=Status.IN_PROGRESS, actor=actor, reason=reason, extra_fields=fields)
    return locked


# --- replies -------------------------------------------------------------------------------


def _require_reply_author(locked: Signal, actor: User) -> None:
    """Who may write the signal's public answer in its current status."""
    if locked.status == Status.NEW:
        require(actor=actor, signal=locked, roles=CENTRE)  # the centre answers itself
    elif locked.status in (Status.IN_PROGRESS, Status.AWAITING_INFO):
        require(actor=actor, signal=locked, roles={EXECUTOR, COORDINATOR})
    else:
        raise InvalidTransition(
            _("A reply cannot be written for a signal in status “%(status)s”.")
            % {"status": Status(locked.status).label}
        )


def _reply_input(text: str, kind: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The reply is empty."))
    if kind not in Reply.Kind.values:
        raise InvalidInput(_("Unknown reply kind."))
    return text


def _own_draft(locked: Signal, draft: Reply | int, actor: User) -> Reply:
    draft_id = draft if isinstance(draft, int) else draft.pk
    found = (
        Reply.objects.select_for_update()
        .filter(pk=draft_id, signal=locked, state__in=(Reply.State.DRAFT, Reply.State.RETURNED))
        .first()
    )
    if found is None:
        raise InvalidInput(_("The draft no longer exists or has been submitted already."))
    if found.author_id not in (None, actor.pk):
        raise InvalidInput(_("Only the author of a draft may change it."))
    return found


@transaction.atomic
def reply_draft_save(
    *,
    signal: Signal | int,
    text: str,
    actor: User,
    kind: str = Reply.Kind.FINAL,
    draft: Reply | int | None = None,
) -> Reply:
    """Save the actor's draft answer (new, or an edit of their own draft or returned reply).

    A draft is private work: it neither moves the signal nor changes its version.
    """
    locked = _lock(signal, None)
    text = _reply_input(text, kind)
    _require_reply_author(locked, actor)
    if draft is None:
        return Reply.objects.create(
            signal=locked, kind=kind, state=Reply.State.DRAFT, text=text, author=actor
        )
    reply = _own_draft(locked, draft, actor)
    reply.text, reply.kind, reply.state, reply.author = text, kind, Reply.State.DRAFT, actor
    reply.save(update_fields=["text", "kind", "state", "author"])
    return reply


@transaction.atomic
def reply_submit(
    *,
    signal: Signal | int,
    text: str,
    actor: User,
    kind: str = Reply.Kind.FINAL,
    draft: Reply | int | None = None,
    expected_version: int | None = None,
) -> Reply:
    """Submit an answer for the centre's review; a final one moves the signal to review.

    With `draft`, the actor's own draft (or returned reply) is the one submitted.
    """
    locked = _lock(signal, expected_version)
    text = _reply_input(text, kind)
    _require_reply_author(locked, actor)
    if kind == Reply.Kind.FINAL and locked.status == Status.AWAITING_INFO:
        raise InvalidTransition(
            _("Resume the work on the signal before submitting the final answer.")
        )
    if locked.replies.filter(state=Reply.State.SUBMITTED).exists():
        raise InvalidInput(_("Another reply is already waiting for review."))
    now = timezone.now()
    if draft is not None:
        reply = _own_draft(locked, draft, actor)
        reply.text, reply.kind, reply.state = text, kind, Reply.State.SUBMITTED
        reply.author, reply.submitted_at = actor, now
        reply.save(update_fields=["text", "kind", "state", "author", "submitted_at"])
    else:
        reply = Reply.objects.create(
            signal=locked,
            kind=kind,
            state=Reply.State.SUBMITTED,
            text=text,
            author=actor,
            submitted_at=now,
        )
    _event(
        locked, SignalEvent.Kind.REPLY_SUBMITTED, actor, changes={"reply": reply.pk, "kind": kind}
    )
    if kind == Reply.Kind.FINAL:
        _move(locked, to_status=Status.REPLY_REVIEW, actor=actor)
    else:
        _save(locked, [])
    return reply


def _lock_reply(reply: Reply | int) -> tuple[Reply, Signal]:
    reply_id = reply if isinstance(reply, int) else reply.pk
    signal_id = Reply.objects.values_list("signal_id", flat=True).get(pk=reply_id)
    # Lock order: the signal first, as everywhere, then the reply.
    signal = Signal.objects.select_for_update(of=("self",)).get(pk=signal_id)
    locked_reply = Reply.objects.select_for_update().get(pk=reply_id)
    return locked_reply, signal


@transaction.atomic
def reply_approve(
    *, reply: Reply | int, actor: User | None, expected_version: int | None = None
) -> Reply:
    """Approve and publish a submitted reply; a final one answers the signal."""
    locked_reply, signal = _lock_reply(reply)
    if expected_version is not None and signal.version != expected_version:
        raise ConflictError()
    require(actor=actor, signal=signal, roles=CENTRE)
    if locked_reply.state != Reply.State.SUBMITTED:
        raise InvalidTransition(_("Only a reply waiting for review can be approved."))
    now = timezone.now()
    locked_reply.state = Reply.State.PUBLISHED
    locked_reply.reviewer = actor
    locked_reply.published_at = now
    locked_reply.save(update_fields=["state", "reviewer", "published_at"])
    _event(signal, SignalEvent.Kind.REPLY_APPROVED, actor, changes={"reply": locked_reply.pk})
    # Written in this transaction: the answer goes out exactly when it is published.
    outbound.reply_deliveries_enqueue(pairs=[(locked_reply, signal)])
    outbound.webhook_emit(
        event=WebhookEvent.REPLY_PUBLISHED, signal=signal, extra=_reply_facts(locked_reply)
    )
    if signal.is_mass_incident:
        _children_get_reply(signal, locked_reply, actor)
    fields = []
    if signal.reacted_at is None:
        signal.reacted_at = now
        fields.append("reacted_at")
    if locked_reply.kind == Reply.Kind.FINAL:
        signal.answered_at = now
        _move(signal, to_status=Status.ANSWERED, actor=actor, extra_fields=[*fields, "answered_at"])
    else:
        _save(signal, fields)
    return locked_reply


def _children_get_reply(parent: Signal, reply: Reply, actor: User | None) -> None:
    """Each child of a mass incident gets the published reply as its own (to be delivered to
    where its author wrote)."""
    children = list(Signal.objects.select_for_update().filter(parent=parent).order_by("pk"))
    copies = Reply.objects.bulk_create(
        Reply(
            signal_id=child.pk, kind=reply.kind, state=Reply.State.PUBLISHED, text=reply.text,
            author_id=reply.author_id, reviewer=actor, submitted_at=reply.submitted_at,
            published_at=reply.published_at,
        )
        for child in children
    )  # fmt: skip
    now = timezone.now()
    SignalEvent.objects.bulk_create(
        SignalEvent(
            signal_id=copy.signal_id, kind=SignalEvent.Kind.REPLY_APPROVED, actor=actor,
            changes={"reply": copy.pk, "mass_incident": parent.number},
        )
        for copy in copies
    )  # fmt: skip
    if reply.kind == Reply.Kind.INTERIM:  # a final reply sets it with the status move
        Signal.objects.filter(parent=parent, reacted_at__isnull=True).update(reacted_at=now)
    by_id = {child.pk: child for child in children}
    outbound.reply_deliveries_enqueue(pairs=[(copy, by_id[copy.signal_id]) for copy in copies])
    outbound.webhook_emit_many(
        event=WebhookEvent.REPLY_PUBLISHED, signals=children,
        extra={copy.signal_id: _reply_facts(copy) for copy in copies},
    )  # fmt: skip


def _reply_facts(reply: Reply) -> dict[str, Any]:
    """What a "reply published" webhook says of the reply (its text is public by then)."""
    return {
        "reply": {"id": reply.pk, "kind": reply.kind, "text": reply.text,
                  "published_at": reply.published_at},
    }  # fmt: skip


@transaction.atomic
def reply_return(
    *, reply: Reply | int, comment: str, actor: User | None, expected_version: int | None = None
) -> Reply:
    """Return a submitted reply for rework with a comment."""
    locked_reply, signal = _lock_reply(reply)
    if expected_version is not None and signal.version != expected_version:
        raise ConflictError()
    require(actor=actor, signal=signal, roles=CENTRE)
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Say what has to be reworked."))
    if locked_reply.state != Reply.State.SUBMITTED:
        raise InvalidTransition(_("Only a reply waiting for review can be returned."))
    locked_reply.state = Reply.State.RETURNED
    locked_reply.reviewer = actor
    locked_reply.review_comment = comment
    locked_reply.save(update_fields=["state", "reviewer", "review_comment"])
    _event(
        signal,
        SignalEvent.Kind.REPLY_RETURNED,
        actor,
        changes={"reply": locked_reply.pk},
        reason=comment,
    )
    if locked_reply.kind == Reply.Kind.FINAL:
        _move(signal, to_status=Status.IN_PROGRESS, actor=actor, reason=comment)
    else:
        _save(signal, [])
    return locked_reply


# --- attributes and notes ------------------------------------------------------------------


@transaction.atomic
def signal_change_category(
    *,
    signal: Signal | int,
    category: Category | None,
    actor: User | None,
    expected_version: int | None = None,
    note: str = "",
) -> Signal:
    """Fix the category of a signal (analysts; the rules and the classifier as the system).

    `note` says on the event how a system actor chose the category.
    """
    locked = _lock(signal, expected_version)
    require(actor=actor, signal=locked, roles=CENTRE)
    if category is not None and category.region_id != locked.region_id:
        raise InvalidInput(_("The category belongs to another region."))
    return _change_attribute(
        locked, "category_id", category.pk if category else None,
        kind=SignalEvent.Kind.CATEGORY_CHANGED, actor=actor, reason=_("Category changed"),
        note=note,
    )  # fmt: skip


@transaction.atomic
def signal_change_priority(
    *, signal: Signal | int, priority: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Change the priority of a signal (analysts and the agency's coordinator)."""
    locked = _lock(signal, expected_version)
    require(actor=actor, signal=locked, roles={ANALYST, COORDINATOR})
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."))
    return _change_attribute(
        locked, "priority", priority,
        kind=SignalEvent.Kind.PRIORITY_CHANGED, actor=actor, reason=_("Priority changed"),
    )  # fmt: skip


@transaction.atomic
def signal_change_channel(
    *, signal: Signal | int, channel: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Correct the channel a signal came through (analysts); its deadlines follow."""
    locked = _lock(signal, expected_version)
    require(actor=actor, signal=locked, roles=CENTRE)
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."))
    return _change_attribute(
        locked, "channel", channel,
        kind=SignalEvent.Kind.CHANNEL_CHANGED, actor=actor, reason=_("Channel changed"),
    )  # fmt: skip


def _change_attribute(
    locked: Signal,
    field: str,
    value: Any,
    *,
    kind: str,
    actor: User | None,
    reason: str,
    note: str = "",
) -> Signal:
    """Set one attribute the deadlines depend on: event old → new, recompute, save."""
    old = getattr(locked, field)
    if old == value:
        return locked
    setattr(locked, field, value)
    name = field.removesuffix("_id")
    if field.endswith("_id"):
        # Drop the cached related object so the policy match sees the new one.
        locked._state.fields_cache.pop(name, None)
    _event(locked, kind, actor, changes={name: [old, value]}, reason=note)
    fields = sla.sla_recompute(locked, actor=actor, reason=reason)
    _save(locked, [field, *fields])
    return locked


@transaction.atomic
def signal_text_update(*, signal: Signal | int, text: str, actor: User | None = None) -> Signal:
    """The author edited the original post: keep the signal's text in step (system action)."""
    locked = _lock(signal, None)
    text = (text or "").strip()
    if not text or text == locked.text:
        return locked
    changes = {"text": [locked.text[:500], text[:500]]}
    locked.text = text
    _event(locked, SignalEvent.Kind.TEXT_EDITED, actor, changes=changes)
    _save(locked, ["text"])
    return locked


@transaction.atomic
def signal_mark_deleted_at_source(*, signal: Signal | int, actor: User | None = None) -> Signal:
    """The author deleted the original: record it; the signal itself is never deleted."""
    locked = _lock(signal, None)
    if locked.deleted_at_source is not None:
        return locked
    locked.deleted_at_source = timezone.now()
    _event(locked, SignalEvent.Kind.DELETED_AT_SOURCE, actor)
    _save(locked, ["deleted_at_source"])
    return locked


@transaction.atomic
def signal_mark_duplicate(
    *,
    signal: Signal | int,
    original: Signal,
    actor: User | None,
    expected_version: int | None = None,
) -> Signal:
    """Link a repeat to the first signal and take it out of the work (rejected as a repeat)."""
    locked = _lock(signal, expected_version)
    if original.pk == locked.pk or original.region_id != locked.region_id:
        raise InvalidInput(_("A signal can only repeat another signal of its region."))
    locked.duplicate_of = original
    reason = _("Repeat of signal %(number)s") % {"number": original.number}
    _move(
        locked, to_status=Status.REJECTED, actor=actor, reason=reason, extra_fields=["duplicate_of"]
    )
    return locked


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
    locked = _lock(parent, None)
    require(actor=actor, signal=locked, roles=CENTRE)
    if locked.parent_id is not None:
        raise InvalidInput(_("A signal inside a mass incident cannot lead another one."))
    if locked.status not in OPEN_STATUSES:
        raise InvalidInput(_("A finished signal cannot become a mass incident."))
    wanted = sorted({pk for pk in children if pk != locked.pk})
    rows = list(Signal.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    if len(rows) != len(wanted):
        raise InvalidInput(_("Some of the signals do not exist."))
    for child in rows:
        if child.region_id != locked.region_id:
            raise InvalidInput(_("Only signals of one region form a mass incident."))
        if child.is_mass_incident and child.children.exists():
            raise InvalidInput(
                _("Signal %(number)s is a mass incident itself.") % {"number": child.number}
            )
        if child.parent_id not in (None, locked.pk):
            raise InvalidInput(
                _("Signal %(number)s belongs to another mass incident.") % {"number": child.number}
            )
    if not locked.is_mass_incident:
        locked.is_mass_incident = True
        _event(locked, SignalEvent.Kind.MASS_INCIDENT, actor, changes={"children": len(rows)})
        _save(locked, ["is_mass_incident"])
    merged = []
    for child in rows:
        if child.parent_id == locked.pk:
            continue
        child.parent = locked
        child.is_mass_incident = False
        _event(child, SignalEvent.Kind.MERGED, actor, changes={"parent": locked.number})
        _save(child, ["parent", "is_mass_incident"])
        merged.append(child)
    logger.info(
        "signal_merged parent_id=%s children=%s actor_id=%s",
        locked.pk,
        len(merged),
        actor.pk if actor else None,
    )
    return locked, merged


MAX_MENTIONS = 20
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


@transaction.atomic
def note_add(*, signal: Signal | int, text: str, actor: User) -> Note:
    """Add an internal note (the centre and the signal's agency staff).

    Every `@username` in it that names an active user who may see the signal gets a
    notification; names of people who may not see it are left alone (and not revealed).
    """
    locked = _lock(signal, None)
    require(actor=actor, signal=locked, roles={ANALYST, EXECUTOR, COORDINATOR})
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The note is empty."))
    note = Note.objects.create(signal=locked, author=actor, text=text)
    mentioned = _mentioned_users(locked, text, actor)
    _event(
        locked,
        SignalEvent.Kind.NOTE_ADDED,
        actor,
        changes={"note": note.pk, "mentioned": [user.pk for user in mentioned]},
    )
    title = _("%(name)s mentioned you in a note on signal %(number)s") % {
        "name": actor.get_full_name() or actor.username,
        "number": locked.number,
    }
    Notification.objects.bulk_create(
        Notification(user=user, signal=locked, kind="mention", title=title, body=text[:1000])
        for user in mentioned
    )
    return note


def _mentioned_users(signal: Signal, text: str, actor: User) -> list[User]:
    names = {name.rstrip(".").lower() for name in MENTION.findall(text)}
    if not names:
        return []
    condition = Q()
    for name in sorted(names)[:MAX_MENTIONS]:
        condition |= Q(username__iexact=name)
    candidates = User.objects.filter(condition, is_active=True).exclude(pk=actor.pk).order_by("pk")
    return [user for user in candidates if actor_kinds(user=user, signal=signal)]
