"""New signals: one at a time or many at once, through one writer.

`signals_create_many(plans)` is how every signal comes into being — the one-message intake, the
batch intake and the demo's archive alike. A plan is the signal as it arrived plus the steps
that happened to it since (routed, taken, answered…); each step goes through the same in-memory
changes as a user's action (`workflow.changes`), so every move is checked against the transition
table and the status, the deadlines and the timeline come out as the one-row services would
leave them. The rows are then written with COPY: numbers taken per region and year from the
counter row inside the transaction, ids reserved first so the rows can refer to each other.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Region, User
from signals_app import timeline
from signals_app.analytics.rollup import counts_add
from signals_app.bulk import copy_instances, copy_rows, reserve_ids
from signals_app.choices import Status
from signals_app.errors import InvalidInput
from signals_app.models import Attachment, Category, Reply, Signal
from signals_app.outbound import outbox
from signals_app.outbound.models import WebhookEvent
from signals_app.sla import deadlines
from signals_app.sla.models import Escalation
from signals_app.workflow import changes
from signals_app.workflow.changes import Change

logger = logging.getLogger(__name__)


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


# --- plans -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PlanStep:
    """Something that happened to a new signal: an action's name, its moment and its input.

    The actions are those of the action registry that a history holds: route, take,
    request_info, resume, reply (submit), approve, return, close, reopen, reject, restore,
    category, duplicate.
    """

    action: str
    at: datetime
    actor_id: int | None = None
    reason: str = ""
    agency: Agency | None = None
    assignee_id: int | None = None
    category: Category | None = None
    text: str = ""
    original: Any = None  # the first signal of a repeat: anything with pk and number


@dataclass(slots=True)
class SignalPlan:
    """A signal to create: its columns as it arrived, and the steps since.

    `created_at` is the moment of creation (default: now); steps at that moment shape the
    first deadlines. `history` marks an archive written after the fact: the escalation steps
    that fell due during it are recorded, and no webhook announces it.
    """

    fields: dict[str, Any]
    steps: list[PlanStep] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    created_at: datetime | None = None
    history: bool = False
    actor_id: int | None = None  # who registered it (a call taken by an analyst); None: intake
    pk: int | None = None  # given by signals_create_many (or reserved ahead by the caller)
    number: str = ""  # given by signals_create_many: a later plan's repeat step may cite it
    signal: Signal | None = None  # `fields` already made into an unsaved instance (the intake's)


@dataclass(slots=True)
class _ReplyRow:
    """A reply of a history being written (a light row: archives hold millions)."""

    pk: int
    signal_id: int
    kind: str
    state: str
    text: str
    author_id: int | None
    submitted_at: datetime
    reviewer_id: int | None = None
    review_comment: str = ""
    published_at: datetime | None = None

    def row(self) -> tuple:
        return (
            self.pk, self.signal_id, self.kind, self.state, self.text, self.author_id,
            self.author_id, self.reviewer_id, self.review_comment, self.submitted_at,
            self.published_at, self.submitted_at,
        )  # fmt: skip


REPLY_COLUMNS = (
    "id", "signal_id", "kind", "state", "text", "author_id", "last_editor_id", "reviewer_id",
    "review_comment", "submitted_at", "published_at", "created_at",
)  # fmt: skip
ESCALATION_COLUMNS = ("signal_id", "deadline", "level", "cycle", "target", "recipients", "fired_at")


@dataclass
class _Made:
    signal: Signal
    moves: list[tuple[str, str]]
    entries: list[timeline.Entry]
    replies: list[_ReplyRow]
    escalations: list[tuple]


def _apply(change: Change, step: PlanStep, replies: list[_ReplyRow], reply_ids: list[int]) -> bool:
    """One step of a plan, through the same change as the action's service makes."""
    action = step.action
    if action == "route":
        if step.agency is None:
            raise InvalidInput(_("Choose the agency."))
        return changes.route(change, step.agency, assignee_id=step.assignee_id, reason=step.reason)
    if action == "take":
        return changes.take(change, user_id=step.actor_id or 0)
    if action == "category":
        return changes.set_category(change, step.category, note=step.reason)
    if action == "duplicate":
        original = step.original
        # A repeat of a signal of the same call cites a number that is given only when the
        # rows are written (the counter row is locked for as short as possible): a placeholder
        # until then, replaced in `signals_write`.
        number = original.number or _number_placeholder(original.pk)
        return changes.mark_duplicate(change, original_id=original.pk, original_number=number)
    if action == "reply":
        reply = _ReplyRow(
            pk=reply_ids.pop(), signal_id=change.signal.pk, kind=Reply.Kind.FINAL,
            state=Reply.State.SUBMITTED, text=step.text, author_id=step.actor_id,
            submitted_at=step.at,
        )  # fmt: skip
        replies.append(reply)
        return changes.reply_submitted(change, reply)
    if action in ("approve", "return"):
        waiting = next((r for r in reversed(replies) if r.state == Reply.State.SUBMITTED), None)
        if waiting is None:
            raise InvalidInput(_("The reply was not found."))
        waiting.reviewer_id = step.actor_id
        if action == "return":
            waiting.state, waiting.review_comment = Reply.State.RETURNED, step.reason
            return changes.reply_returned(change, waiting, comment=step.reason)
        waiting.state, waiting.published_at = Reply.State.PUBLISHED, step.at
        return changes.reply_approved(change, waiting)
    if action == "close":
        return changes.close(change)
    if action == "reopen":
        return changes.reopen(change, reason=step.reason)
    targets = {
        "request_info": Status.AWAITING_INFO,
        "resume": Status.IN_PROGRESS,
        "reject": Status.REJECTED,
        "restore": Status.NEW,
    }
    if action in targets:
        return changes.move(change, targets[action], reason=step.reason)
    raise InvalidInput(f"unknown plan step: {action}")


def _number_placeholder(pk: int) -> str:
    return f"\ue000{pk}\ue001"


_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def _fill_numbers(item: _Made, numbers: dict[int, str]) -> None:
    """Put the numbers in where a repeat of a signal of the same call cited its original."""

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda found: numbers.get(int(found[1]), "?"), text)

    signal = item.signal
    if "\ue000" in signal.rejection_reason:
        signal.rejection_reason = fill(signal.rejection_reason)
        item.entries = [
            entry._replace(reason=fill(entry.reason)) if "\ue000" in entry.reason else entry
            for entry in item.entries
        ]


def _make(plan: SignalPlan, *, now: datetime, cache: dict, reply_ids: list[int]) -> _Made:
    created_at = plan.created_at or now
    signal = plan.signal or Signal(**plan.fields)
    if signal.status != Status.NEW:  # a signal is born new; its moves come as steps
        raise ValueError("a plan's signal starts in status new")
    signal.pk, signal.number = plan.pk, plan.number
    signal.created_at = created_at
    entries = [
        timeline.created(signal.pk, channel=signal.channel, actor_id=plan.actor_id, at=created_at)
    ]
    replies: list[_ReplyRow] = []
    steps = sorted(plan.steps, key=lambda step: step.at)
    # The steps of the arrival itself (classified, routed, set aside as a repeat) shape the first
    # deadlines, which are then computed once with the final attributes.
    arrival = Change(signal, actor_id=None, at=created_at, cache=cache, deferred=True)
    changed = 0
    index = 0
    while index < len(steps) and steps[index].at <= created_at:
        arrival.actor_id = steps[index].actor_id
        changed += _apply(arrival, steps[index], replies, reply_ids)
        index += 1
    entries += deadlines.assign(signal, actor_id=plan.actor_id, at=created_at, cache=cache)
    entries += arrival.entries
    moves = list(arrival.moves)
    ended_at = None
    for step in steps[index:]:
        change = Change(signal, actor_id=step.actor_id, at=step.at, cache=cache)
        if _apply(change, step, replies, reply_ids):
            changed += 1
            entries += change.entries
            moves += change.moves
            if signal.status in (Status.CLOSED, Status.REJECTED):
                ended_at = step.at
            elif signal.status not in (Status.ANSWERED,):
                ended_at = None
    signal.version = 1 + changed
    signal.updated_at = steps[-1].at if steps and steps[-1].at > created_at else created_at
    escalations: list[tuple] = []
    fired_keys: set[tuple[str, int]] = set()
    if plan.history:
        fired = deadlines.fire(
            signal,
            deadlines.steps_fired_in_history(signal, now=now, ended_at=ended_at, cache=cache),
        )
        for item in fired:
            rung = item.step
            fired_keys.add((rung.deadline, rung.level))
            escalations.append(
                (signal.pk, rung.deadline, rung.level, signal.sla_cycle, rung.target, 0, item.at)
            )
            entries.append(
                timeline.escalated(signal.pk, deadline=rung.deadline, level=rung.level,
                                   target=rung.target, recipients=(), priority=item.priority,
                                   at=item.at)
            )  # fmt: skip
    deadlines.refresh(signal, now=now, fired=fired_keys, cache=cache)
    return _Made(signal, moves, entries, replies, escalations)


def _number(plans: list[SignalPlan]) -> None:
    """Human numbers per region and the year of receipt in the region's time zone."""
    groups: dict[tuple[int, int], list[SignalPlan]] = defaultdict(list)
    regions: dict[int, Region] = {}
    for plan in plans:
        region = plan.fields["region"]
        regions[region.pk] = region
        received = plan.fields["received_at"]
        local = timezone.localtime(received, zoneinfo.ZoneInfo(region.time_zone))
        groups[(region.pk, local.year)].append(plan)
    for (region_id, year), group in sorted(groups.items()):
        region = regions[region_id]
        first = signal_number_allocate(region=region, year=year, count=len(group))
        for offset, plan in enumerate(group):
            plan.number = signal_number_format(
                region_code=region.code, year=year, value=first + offset
            )


@dataclass
class Prepared:
    """Plans made into signals in memory, not yet written (see `signals_prepare`)."""

    plans: list[SignalPlan]
    made: list[_Made]
    now: datetime


def signals_prepare(
    plans: list[SignalPlan], *, now: datetime | None = None, cache: dict | None = None
) -> Prepared:
    """Make the plans into signals, replies, escalations and timeline entries in memory.

    Writes nothing (ids come from the sequences, reference data is only read), so a loader may
    prepare its next chunk in a thread while the current one is written. The human numbers
    come at writing, so the per-region counter row is locked only while the rows are written:
    several workers preparing batches at once do not wait for each other.
    """
    now = now or timezone.now()
    ids = iter(reserve_ids(Signal, sum(1 for plan in plans if plan.pk is None)))
    for plan in plans:
        if plan.pk is None:
            plan.pk = next(ids)
    reply_ids = reserve_ids(Reply, sum(step.action == "reply" for p in plans for step in p.steps))
    reply_ids.reverse()
    cache = cache if cache is not None else {}
    made = [_make(plan, now=now, cache=cache, reply_ids=reply_ids) for plan in plans]
    return Prepared(plans, made, now)


@transaction.atomic
def signals_write(prepared: Prepared) -> list[Signal]:
    """Write prepared signals with COPY in one transaction; return them in the plans' order."""
    plans, made = prepared.plans, prepared.made
    if not made:
        return []
    # The counter rows are locked from here to the commit: everything costly is done already.
    if any(not plan.number for plan in plans):
        _number(plans)
    numbers = {plan.pk: plan.number for plan in plans if plan.pk is not None}
    for plan, item in zip(plans, made, strict=True):
        item.signal.number = plan.number
        _fill_numbers(item, numbers)
    copy_instances([item.signal for item in made])
    counts_add([item.signal for item in made])  # the analytics' hourly and daily counts
    timeline.write_many(entry for item in made for entry in item.entries)
    replies = [reply.row() for item in made for reply in item.replies]
    escalations = [row for item in made for row in item.escalations]
    with connection.cursor() as cursor:
        if replies:
            copy_rows(cursor, Reply._meta.db_table, REPLY_COLUMNS, replies)
        if escalations:
            copy_rows(cursor, Escalation._meta.db_table, ESCALATION_COLUMNS, escalations)
    attachments = []
    for plan, item in zip(plans, made, strict=True):
        for attachment in plan.attachments:
            attachment.signal_id = item.signal.pk
            attachments.append(attachment)
    if attachments:
        Attachment.objects.bulk_create(attachments, batch_size=1000)
    news = [item for plan, item in zip(plans, made, strict=True) if not plan.history]
    outbox.webhook_emit_many(event=WebhookEvent.SIGNAL_CREATED, signals=[i.signal for i in news])
    moved = [item for item in news if item.signal.status != Status.NEW]
    outbox.webhook_emit_many(
        event=WebhookEvent.STATUS_CHANGED, signals=[item.signal for item in moved],
        extra={item.signal.pk: {"from_status": Status.NEW, "to_status": item.signal.status}
               for item in moved},
    )  # fmt: skip
    if len(made) == 1:
        signal = made[0].signal
        logger.info(
            "signal_created signal_id=%s number=%s channel=%s",
            signal.pk, signal.number, signal.channel,
        )  # fmt: skip
    else:
        logger.info("signals_created count=%s", len(made))
    return [item.signal for item in made]


def signals_create_many(plans: list[SignalPlan], *, now: datetime | None = None) -> list[Signal]:
    """Create the planned signals with their histories; return them in the plans' order.

    Raises a WorkflowError (and writes nothing) when a step is not possible — a move the
    transition table does not have, a missing reason, work without an agency.
    """
    if not plans:
        return []
    return signals_write(signals_prepare(plans, now=now))


def signal_create(
    *,
    region: Region,
    channel: str,
    text: str,
    received_at: datetime | None = None,
    actor: User | None = None,
    **fields: Any,
) -> Signal:
    """Create one signal in status new with its human number and its first events."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The signal has no text."))
    now = timezone.now()
    plan = SignalPlan(
        fields={"region": region, "channel": channel, "text": text,
                "received_at": received_at or now, **fields},
    )  # fmt: skip
    return signals_create_many([plan], now=now)[0]
