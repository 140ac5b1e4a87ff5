"""A signal's timeline: the one writer of SignalEvent rows (floor 2).

Each kind of event has one function here that builds its row (an `Entry`, a light tuple rather
than a model instance, because the batch paths build millions); `write` inserts the few rows of
one change, `write_many` COPYs the rows of a batch. Nothing else in the project creates events
(an architecture test holds this). The time of an event is the application's clock unless the
caller gives it (a history loaded after the fact): the database's `now()` is never used, so the
timeline and the deadlines read one clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from psycopg.types.json import Jsonb

from signals_app.bulk import copy_rows
from signals_app.models import SignalEvent

Kind = SignalEvent.Kind
COLUMNS = (
    "signal_id", "kind", "actor_id", "from_status", "to_status", "changes", "reason", "created_at",
)  # fmt: skip


class Entry(NamedTuple):
    """One timeline row, not yet written."""

    signal_id: int
    kind: str
    actor_id: int | None
    from_status: str
    to_status: str
    changes: dict[str, Any]
    reason: str
    created_at: datetime


def _entry(
    signal_id: int,
    kind: str,
    actor_id: int | None,
    at: datetime | None,
    *,
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
    reason: str | Promise = "",
) -> Entry:
    return Entry(
        signal_id, str(kind), actor_id, str(from_status), str(to_status), changes or {},
        str(reason), at or timezone.now(),
    )  # fmt: skip


# --- one function per kind ------------------------------------------------------------------


def created(signal_id: int, *, channel: str, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(signal_id, Kind.CREATED, actor_id, at, to_status="new",
                  changes={"channel": str(channel)})  # fmt: skip


def status_changed(
    signal_id: int,
    *,
    source: str,
    target: str,
    actor_id: int | None,
    at: datetime | None,
    reason: str | Promise = "",
    changes: dict[str, Any] | None = None,
) -> Entry:
    return _entry(signal_id, Kind.STATUS_CHANGED, actor_id, at, from_status=source,
                  to_status=target, reason=reason, changes=changes)  # fmt: skip


def routed(
    signal_id: int,
    *,
    agency: tuple[int | None, int],
    assignee: tuple[int | None, int | None],
    actor_id: int | None,
    at: datetime | None,
    reason: str | Promise = "",
) -> Entry:
    return _entry(signal_id, Kind.ROUTED, actor_id, at, reason=reason,
                  changes={"agency": list(agency), "assignee": list(assignee)})  # fmt: skip


def assigned(
    signal_id: int, *, assignee: tuple[int | None, int | None], actor_id: int | None,
    at: datetime | None,
) -> Entry:  # fmt: skip
    return _entry(signal_id, Kind.ASSIGNED, actor_id, at, changes={"assignee": list(assignee)})


def taken(
    signal_id: int, *, assignee: tuple[int | None, int] | None, actor_id: int | None,
    at: datetime | None,
) -> Entry:  # fmt: skip
    changes = {"assignee": list(assignee)} if assignee else {}
    return _entry(signal_id, Kind.TAKEN, actor_id, at, changes=changes)


ATTRIBUTE_KINDS = {
    "category": Kind.CATEGORY_CHANGED,
    "priority": Kind.PRIORITY_CHANGED,
    "channel": Kind.CHANNEL_CHANGED,
}


def attribute_changed(
    signal_id: int, *, name: str, old: Any, new: Any, actor_id: int | None, at: datetime | None,
    note: str = "",
) -> Entry:  # fmt: skip
    """Category, priority or channel changed (`note`: how a system actor chose it)."""
    return _entry(signal_id, ATTRIBUTE_KINDS[name], actor_id, at, changes={name: [old, new]},
                  reason=note)  # fmt: skip


def text_edited(
    signal_id: int, *, old: str, new: str, actor_id: int | None, at: datetime | None
) -> Entry:
    return _entry(signal_id, Kind.TEXT_EDITED, actor_id, at,
                  changes={"text": [old[:500], new[:500]]})  # fmt: skip


def deleted_at_source(signal_id: int, *, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(signal_id, Kind.DELETED_AT_SOURCE, actor_id, at)


def reply_submitted(
    signal_id: int, *, reply_id: int, reply_kind: str, actor_id: int | None, at: datetime | None
) -> Entry:
    return _entry(signal_id, Kind.REPLY_SUBMITTED, actor_id, at,
                  changes={"reply": reply_id, "kind": str(reply_kind)})  # fmt: skip


def reply_edited(
    signal_id: int, *, reply_id: int, old: str, new: str, actor_id: int | None,
    at: datetime | None,
) -> Entry:  # fmt: skip
    """A reviewer changed a submitted reply: both texts stay in the timeline."""
    return _entry(signal_id, Kind.REPLY_EDITED, actor_id, at,
                  changes={"reply": reply_id, "text": [old, new]})  # fmt: skip


def reply_approved(
    signal_id: int, *, reply_id: int, actor_id: int | None, at: datetime | None,
    mass_incident: str = "",
) -> Entry:  # fmt: skip
    changes: dict[str, Any] = {"reply": reply_id}
    if mass_incident:
        changes["mass_incident"] = mass_incident
    return _entry(signal_id, Kind.REPLY_APPROVED, actor_id, at, changes=changes)


def reply_returned(
    signal_id: int, *, reply_id: int, comment: str, actor_id: int | None, at: datetime | None
) -> Entry:
    return _entry(signal_id, Kind.REPLY_RETURNED, actor_id, at, changes={"reply": reply_id},
                  reason=comment)  # fmt: skip


def note_added(
    signal_id: int, *, note_id: int, mentioned: Sequence[int], actor_id: int | None,
    at: datetime | None,
) -> Entry:  # fmt: skip
    return _entry(signal_id, Kind.NOTE_ADDED, actor_id, at,
                  changes={"note": note_id, "mentioned": list(mentioned)})  # fmt: skip


def merged(signal_id: int, *, parent: str, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(signal_id, Kind.MERGED, actor_id, at, changes={"parent": parent})


def mass_incident(
    signal_id: int, *, children: int, actor_id: int | None, at: datetime | None
) -> Entry:
    return _entry(signal_id, Kind.MASS_INCIDENT, actor_id, at, changes={"children": children})


def sla_assigned(
    signal_id: int, *, policy_id: int, version: int, due: dict[str, str | None],
    actor_id: int | None, at: datetime | None,
) -> Entry:  # fmt: skip
    return _entry(signal_id, Kind.SLA_ASSIGNED, actor_id, at,
                  changes={"policy": policy_id, "version": version, "due": due})  # fmt: skip


def sla_recomputed(
    signal_id: int, *, changes: dict[str, Any], reason: str | Promise, actor_id: int | None,
    at: datetime | None,
) -> Entry:  # fmt: skip
    return _entry(signal_id, Kind.SLA_RECOMPUTED, actor_id, at, changes=changes, reason=reason)


def sla_paused(signal_id: int, *, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(signal_id, Kind.SLA_PAUSED, actor_id, at)


def sla_resumed(
    signal_id: int, *, paused_from: datetime, working_seconds: float, calendar_seconds: float,
    due: dict[str, list[str]], actor_id: int | None, at: datetime | None,
) -> Entry:  # fmt: skip
    return _entry(signal_id, Kind.SLA_RESUMED, actor_id, at, changes={
        "paused_from": paused_from.isoformat(), "working_seconds": working_seconds,
        "calendar_seconds": calendar_seconds, "due": due,
    })  # fmt: skip


def sla_extended(
    signal_id: int, *, due: dict[str, list[str | None]], reason: str | Promise, actor_id: int | None,
    at: datetime | None,
) -> Entry:  # fmt: skip
    return _entry(signal_id, Kind.SLA_EXTENDED, actor_id, at, changes={"due": due}, reason=reason)


def escalated(
    signal_id: int, *, deadline: str, level: int, target: str, recipients: Sequence[int],
    priority: tuple[str, str] | None, at: datetime | None,
) -> Entry:  # fmt: skip
    changes: dict[str, Any] = {
        "deadline": deadline, "level": level, "target": target, "recipients": list(recipients),
    }  # fmt: skip
    if priority is not None:
        changes["priority"] = list(priority)
    return _entry(signal_id, Kind.ESCALATED, None, at, changes=changes)


# --- writing ----------------------------------------------------------------------------------


def citizen_answered(signal_id: int, *, text: str, at: datetime | None) -> Entry:
    """The citizen's answer to our question, in their words (as the channel gave them)."""
    return _entry(signal_id, Kind.CITIZEN_ANSWERED, None, at, reason=text[:4000])


def citizen_wrote(signal_id: int, *, text: str, at: datetime | None) -> Entry:
    """A follow-up of the author on the signal's thread (a reply under our comment, in the
    bot's chat, to our e-mail), in their words."""
    return _entry(signal_id, Kind.CITIZEN_WROTE, None, at, reason=text[:4000])


def survey_asked(
    signal_id: int, *, way: str, until: datetime, reason: str = "", at: datetime | None
) -> Entry:
    """«Проблема решена?» put to the citizen (`way`: message or page), or not, and why."""
    if not way:
        return _entry(signal_id, Kind.SURVEY_NOT_ASKED, None, at, reason=reason)
    return _entry(signal_id, Kind.SURVEY_ASKED, None, at,
                  changes={"way": way, "until": until.isoformat()})  # fmt: skip


def survey_answered(
    signal_id: int, *, solved: bool, via: str, comment: str, at: datetime | None
) -> Entry:
    return _entry(signal_id, Kind.SURVEY_ANSWERED, None, at,
                  changes={"solved": solved, "via": via}, reason=comment[:4000])  # fmt: skip


def subscribed(signal_id: int, *, at: datetime | None) -> Entry:
    """A citizen joined the signal instead of filing it again (who is not written here)."""
    return _entry(signal_id, Kind.SUBSCRIBED, None, at)


def reopen_declined(
    signal_id: int, *, reason: str, actor_id: int | None, at: datetime | None
) -> Entry:
    return _entry(signal_id, Kind.REOPEN_DECLINED, actor_id, at, reason=reason)


def forwarded(
    signal_id: int,
    *,
    body: str,
    due: datetime,
    actor_id: int | None,
    at: datetime | None,
    note: str = "",
) -> Entry:
    """Forwarded to an outside body by e-mail, with the day its answer is due."""
    return _entry(signal_id, Kind.FORWARDED, actor_id, at, reason=note[:4000],
                  changes={"body": body, "until": due.isoformat()})  # fmt: skip


def forward_answered(signal_id: int, *, body: str, text: str, at: datetime | None) -> Entry:
    """The outside body's answer, in its words (from the letter that came back)."""
    return _entry(signal_id, Kind.FORWARD_ANSWERED, None, at, reason=text[:4000],
                  changes={"body": body})  # fmt: skip


def forward_overdue(signal_id: int, *, body: str, at: datetime | None) -> Entry:
    return _entry(signal_id, Kind.FORWARD_OVERDUE, None, at, changes={"body": body})


def _part(part: Any) -> dict[str, Any]:
    """Which co-executor a part entry is about (its agency sees only its own)."""
    return {"part": part.pk, "part_agency": part.agency_id, "part_agency_name": part.agency.name}


def part_added(part: Any, *, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(part.signal_id, Kind.PART_ADDED, actor_id, at, reason=part.task[:4000],
                  changes={**_part(part), "until": part.due_at.isoformat()})  # fmt: skip


def part_done(part: Any, *, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(part.signal_id, Kind.PART_DONE, actor_id, at, reason=part.answer[:4000],
                  changes=_part(part))  # fmt: skip


def part_closed(part: Any, *, actor_id: int | None, at: datetime | None) -> Entry:
    return _entry(part.signal_id, Kind.PART_CLOSED, actor_id, at,
                  reason=part.closed_reason[:4000], changes=_part(part))  # fmt: skip


def part_overdue(part: Any, *, at: datetime | None) -> Entry:
    return _entry(part.signal_id, Kind.PART_OVERDUE, None, at, changes=_part(part))


def write(entries: Iterable[Entry]) -> None:
    """Insert the few rows of one change (inside the change's transaction)."""
    rows = [SignalEvent(**entry._asdict()) for entry in entries]
    if rows:
        SignalEvent.objects.bulk_create(rows)


def write_many(entries: Iterable[Entry]) -> int:
    """COPY the rows of a batch (inside its transaction); return how many were written."""
    count = 0

    def rows() -> Iterable[tuple]:
        nonlocal count
        for entry in entries:
            count += 1
            yield (*entry[:5], Jsonb(entry.changes), entry.reason, entry.created_at)

    with connection.cursor() as cursor:
        copy_rows(cursor, SignalEvent._meta.db_table, COLUMNS, rows())
    return count
