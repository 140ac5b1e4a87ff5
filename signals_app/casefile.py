"""A signal's case file (floor 2): what the signal page and the API's detail both read.

Its replies (with author, reviewer and delivery), its deadlines with how each was computed, its
escalations, its timeline (with the notes and reply texts the events refer to) and its
attachments — a fixed number of queries whatever the signal's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst

from agencies.models import Agency, User
from signals_app.choices import Channel, Priority, Status
from signals_app.models import Attachment, Category, Note, Reply, Signal, SignalEvent
from signals_app.sla.clock import Clock, time_left
from signals_app.sla.engine import DEADLINES as DEADLINE_ORDER
from signals_app.sla.models import CLOCK_CHOICES, DeadlineKind, Escalation
from signals_app.sla.selectors import schedule_for_signal, sla_explain


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    label: str
    actor: str
    detail: list[str]
    text: str = ""
    event: SignalEvent | None = None


# Timeline entries whose reason is someone's own words, shown as text (not as a detail).
WORDS_KINDS = (
    SignalEvent.Kind.CITIZEN_ANSWERED, SignalEvent.Kind.CITIZEN_WROTE,
    SignalEvent.Kind.FORWARD_ANSWERED, SignalEvent.Kind.PART_DONE,
)  # fmt: skip
FORWARD_KINDS = (
    SignalEvent.Kind.FORWARDED, SignalEvent.Kind.FORWARD_ANSWERED,
    SignalEvent.Kind.FORWARD_OVERDUE,
)  # fmt: skip
PART_KINDS = (
    SignalEvent.Kind.PART_ADDED, SignalEvent.Kind.PART_DONE, SignalEvent.Kind.PART_CLOSED,
    SignalEvent.Kind.PART_OVERDUE,
)  # fmt: skip


def user_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def timeline_of(
    signal: Signal, *, only_parts_of: frozenset[int] | None = None
) -> list[TimelineEntry]:
    """Every event, with the notes and replies they refer to, oldest first (five queries).
    `only_parts_of`: for a co-executor, the agencies whose parts' entries it may see."""
    events = list(signal.events.select_related("actor").order_by("created_at", "id"))
    notes = {note.pk: note for note in Note.objects.filter(signal=signal).select_related("author")}
    replies = {reply.pk: reply for reply in Reply.objects.filter(signal=signal)}
    agency_ids: set[int] = set()
    user_ids: set[int] = set()
    category_ids: set[int] = set()
    for event in events:
        changes = event.changes or {}
        for key, bucket in (
            ("agency", agency_ids),
            ("assignee", user_ids),
            ("category", category_ids),
        ):
            value = changes.get(key)
            if isinstance(value, list):
                bucket.update(v for v in value if isinstance(v, int))
    agencies = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "name"))
    users = {u.pk: user_name(u) for u in User.objects.filter(pk__in=user_ids)}
    categories = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    names = {"agency": agencies, "assignee": users, "category": categories}
    entries = []
    for event in events:
        detail = []
        changes = event.changes or {}
        if event.from_status or event.to_status:
            detail.append(
                f"{Status(event.from_status).label if event.from_status else '—'} → "
                f"{Status(event.to_status).label if event.to_status else '—'}"
            )
        for key, lookup in names.items():
            value = changes.get(key)
            if isinstance(value, list) and len(value) == 2 and value[0] != value[1]:
                old, new = (lookup.get(v, "—") if v else "—" for v in value)
                detail.append(f"{old} → {new}")
        for key, labels in (("priority", Priority), ("channel", Channel)):
            value = changes.get(key)
            if isinstance(value, list) and len(value) == 2:
                old, new = (_label(labels, item) for item in value)
                detail.append(f"{old} → {new}")
        detail += _due_changes(changes.get("due"))
        if event.kind == SignalEvent.Kind.MERGED and changes.get("parent"):
            detail.append(str(changes["parent"]))
        text = ""
        if changes.get("body") and event.kind in FORWARD_KINDS:
            detail.append(str(changes["body"]))
        if event.kind in PART_KINDS:
            if only_parts_of is not None and changes.get("part_agency") not in only_parts_of:
                continue  # another co-executor's part: its agency's own
            detail.append(str(changes.get("part_agency_name", "")))
        if event.kind in WORDS_KINDS:
            text = event.reason  # the citizen's words, as text
        elif event.reason:
            detail.append(event.reason)
        if event.kind == SignalEvent.Kind.NOTE_ADDED and changes.get("note") in notes:
            text = notes[changes["note"]].text
        if (
            event.kind
            in (
                SignalEvent.Kind.REPLY_SUBMITTED,
                SignalEvent.Kind.REPLY_APPROVED,
            )
            and changes.get("reply") in replies
        ):
            text = replies[changes["reply"]].text
        entries.append(
            TimelineEntry(
                at=event.created_at,
                kind=event.kind,
                label=str(event.get_kind_display()),
                actor=user_name(event.actor),
                detail=detail,
                text=text,
                event=event,
            )
        )
    return entries


def _label(choices, value) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _due_changes(due: Any) -> list[str]:
    """«Ответ: 05.12.2026 18:00 → 09.12.2026 18:00» for each deadline a recomputation moved."""
    if not isinstance(due, dict):
        return []
    lines = []
    for kind in DEADLINE_ORDER:
        pair = due.get(kind)
        if not isinstance(pair, list) or len(pair) != 2 or pair[0] == pair[1]:
            continue
        old, new = (_local(item) for item in pair)
        lines.append(f"{capfirst(str(DeadlineKind(kind).label))}: {old} → {new}")
    return lines


def _local(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return timezone.localtime(datetime.fromisoformat(value)).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return value


def attachments_of(signal: Signal) -> list[Attachment]:
    return list(signal.attachments.order_by("created_at", "id"))


def escalations_of(signal: Signal) -> list[Escalation]:
    return list(Escalation.objects.filter(signal=signal).order_by("fired_at", "id"))


@dataclass
class DeadlineRow:
    kind: str
    label: str
    clock: str
    duration: timedelta
    base_due: datetime
    after_pauses: datetime
    due: datetime | None
    fulfilled_at: datetime | None
    left: timedelta | None  # in `left_clock`; negative once overdue
    state: str
    left_clock: str = Clock.WORKING_HOURS.value


def sla_panel(
    signal: Signal, explanation: dict[str, Any], *, now: datetime, cache: dict | None = None
) -> list[DeadlineRow]:
    """Each deadline of the signal with its computation steps and the working time left."""
    if not explanation.get("deadlines"):
        return []
    schedule = schedule_for_signal(signal, cache)
    clocks = dict(CLOCK_CHOICES)
    rows = []
    for item in explanation["deadlines"]:
        due = _parse(item["due"])
        fulfilled = _parse(item["fulfilled_at"])
        left, shown = None, Clock(item["clock"])
        state = "done" if fulfilled else "none"
        if due is not None and fulfilled is None:
            if signal.sla_paused_at is not None:
                state = "paused"
            else:
                left, shown = time_left(now, due, item["clock"], schedule)
                state = "overdue" if due <= now else "ok"
        elif fulfilled is not None and due is not None and fulfilled > due:
            state = "late"
        rows.append(
            DeadlineRow(
                kind=item["kind"],
                label=str(DeadlineKind(item["kind"]).label),
                clock=str(clocks.get(item["clock"], item["clock"])),
                duration=timedelta(seconds=item["duration_seconds"]),
                base_due=_parse(item["base_due"]),  # type: ignore[arg-type]
                after_pauses=_parse(item["after_pauses"]),  # type: ignore[arg-type]
                due=due,
                fulfilled_at=fulfilled,
                left=left,
                state=state,
                left_clock=shown.value,
            )
        )
    return rows


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class CaseFile:
    """A signal's replies (oldest first, with author, reviewer and delivery), its deadlines
    with their explanation, escalations, timeline and attachments."""

    replies: list[Reply]
    explanation: dict[str, Any]
    deadlines: list[DeadlineRow]
    escalations: list[Escalation]
    timeline: list[TimelineEntry]
    attachments: list[Attachment]


def case_file(
    signal: Signal, *, now: datetime, only_parts_of: frozenset[int] | None = None
) -> CaseFile:
    schedules: dict = {}
    explanation = sla_explain(signal, schedules)
    return CaseFile(
        replies=list(
            signal.replies.select_related(
                "author", "reviewer", "delivery", "delivery__handed_by"
            ).order_by("created_at")
        ),
        explanation=explanation,
        deadlines=sla_panel(signal, explanation, now=now, cache=schedules),
        escalations=escalations_of(signal),
        timeline=timeline_of(signal, only_parts_of=only_parts_of),
        attachments=attachments_of(signal),
    )


def replies_seen_by(replies: Iterable[Reply], user: User) -> list[Reply]:
    """Drafts are their author's private work; every other reply is part of the case."""
    return [r for r in replies if r.state != Reply.State.DRAFT or r.author_id == user.pk]
