"""What each action does to a signal, in memory (floor 3).

One function per kind of change. The one-row services call them on a locked signal and then
`save` it; `signals_create_many` calls them on new signals and COPYs the result. Either way the
same rules apply: every status move is checked against the transition table, a reason is
required where the table says so, a signal in work has an agency, the clocks pause, resume and
restart with the moves, and every change leaves its timeline entries. This module is the only
place that assigns a signal's status (an architecture test holds this).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency
from signals_app import timeline
from signals_app.analytics.rollup import counts_move
from signals_app.choices import FINISHED_STATUSES, Status
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.models import Category, Reply, Signal
from signals_app.models.signal import Closure
from signals_app.sla import deadlines
from signals_app.sla.engine import PolicyTerms
from signals_app.sla.selectors import schedule_key
from signals_app.timeline import Entry
from signals_app.workflow.transitions import REOPENING, transition_for

# Every column a change may touch; `save` writes them all (one statement, no guessing).
SAVED_FIELDS = [
    "status", "rejection_reason", "reopened_count", "agency", "assignee", "category", "priority",
    "channel", "duplicate_of", "text", "deleted_at_source", "reacted_at", "answered_at",
    "resolved_at", "parent", "is_mass_incident", "closure", "finished_at", *deadlines.SLA_FIELDS,
    "version",
    "updated_at",
]  # fmt: skip


REASON_REQUIRED = gettext_lazy("A reason is required for this action.")
# Why the deadlines were recomputed (translated when an entry is written).
ROUTED = gettext_lazy("Routed")
CATEGORY_CHANGED = gettext_lazy("Category changed")
PRIORITY_CHANGED = gettext_lazy("Priority changed")
CHANNEL_CHANGED = gettext_lazy("Channel changed")


class ReplyLike(Protocol):
    """What a change reads of a reply (a Reply, or a history's light row)."""

    pk: int
    kind: str


class Change:
    """One change of one signal: who makes it, when, and the timeline entries it leaves.

    `deferred` holds the deadline arithmetic back while a new signal is being shaped at its
    arrival (category, route): its first deadlines are then computed once, with the final
    attributes, instead of being recomputed after each step.
    """

    __slots__ = ("actor_id", "at", "cache", "counted", "deferred", "entries", "moves", "signal")

    def __init__(
        self,
        signal: Signal,
        *,
        actor_id: int | None,
        at: datetime,
        cache: dict | None = None,
        deferred: bool = False,
    ) -> None:
        self.signal = signal
        self.actor_id = actor_id
        self.at = at
        self.cache = cache if cache is not None else {}
        self.deferred = deferred
        self.entries: list[Entry] = []
        self.moves: list[tuple[str, str]] = []
        # The (category, channel) the analytics counted the signal under, once either changes.
        self.counted: tuple[int | None, str] | None = None

    def recounting(self) -> None:
        if self.counted is None:
            self.counted = (self.signal.category_id, self.signal.channel)

    def _recompute(self, reason: str | Promise, *, rematch: bool) -> None:
        if not self.deferred:
            self.entries += deadlines.recompute(
                self.signal, actor_id=self.actor_id, reason=reason, at=self.at, rematch=rematch,
                cache=self.cache,
            )  # fmt: skip


def save(change: Change) -> None:
    """Write a changed, locked signal: its version goes up, its next deadline and next check are
    recomputed, and its timeline entries are written in the same transaction."""
    signal = change.signal
    signal.version += 1
    deadlines.refresh(signal, now=change.at, cache=change.cache)
    signal.save(update_fields=SAVED_FIELDS)
    if change.counted is not None and change.counted != (signal.category_id, signal.channel):
        counts_move(signal, category_id=change.counted[0], channel=change.counted[1])
        change.counted = None
    timeline.write(change.entries)
    change.entries = []


# --- status ----------------------------------------------------------------------------------


def move(
    change: Change, target: str, *, reason: str = "", changes: dict[str, Any] | None = None
) -> bool:
    """One move of the transition table; False for a same-status no-op."""
    signal = change.signal
    source = signal.status
    if source == target:
        return False
    transition = transition_for(source, target)
    if transition is None:
        raise InvalidTransition(
            _("A signal in status “%(source)s” cannot move to “%(target)s”.")
            % {"source": Status(source).label, "target": Status(target).label}
        )
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise InvalidInput(REASON_REQUIRED, errors={"reason": [REASON_REQUIRED]})
    _enter(change, target, reason, changes)
    return True


def follow(change: Change, lead: Signal, *, reason: str) -> bool:
    """A mass incident's child takes its lead's status (and agency): not a move of its own, so
    the table is not asked — the lead's move was."""
    signal = change.signal
    if lead.agency_id is not None and signal.agency_id != lead.agency_id:
        signal.agency_id = lead.agency_id
    if lead.status == Status.ANSWERED:
        signal.answered_at = lead.answered_at
        if signal.reacted_at is None:
            signal.reacted_at = lead.reacted_at
    if signal.status == lead.status:
        return False
    _enter(change, lead.status, reason, None)
    return True


def _enter(change: Change, target: str, reason: str, changes: dict[str, Any] | None) -> None:
    signal = change.signal
    source = signal.status
    if target == Status.IN_PROGRESS and signal.agency_id is None:
        raise InvalidInput(_("Route the signal to an agency first."))
    signal.status = target
    if target == Status.REJECTED:
        signal.rejection_reason = reason
    elif source == Status.REJECTED:
        signal.rejection_reason = ""
    late_details = source == Status.CLOSED and signal.closure == Closure.NO_DETAILS
    if (source, target) in REOPENING and not late_details:
        signal.reopened_count += 1
    if not change.deferred:
        change.entries += deadlines.on_move(
            signal, source=source, target=target, actor_id=change.actor_id, at=change.at,
            cache=change.cache,
        )  # fmt: skip
    if target != Status.CLOSED:
        signal.closure = Closure.NONE
    signal.finished_at = change.at if target in FINISHED_STATUSES else None
    change.entries.append(
        timeline.status_changed(signal.pk, source=source, target=target, actor_id=change.actor_id,
                                at=change.at, reason=reason, changes=changes)
    )  # fmt: skip
    change.moves.append((source, target))


# --- routing and work ------------------------------------------------------------------------


def route(change: Change, agency: Agency, *, assignee_id: int | None, reason: str = "") -> bool:
    """Send the signal to an agency (new → in work) or to another one; False if already there."""
    signal = change.signal
    if signal.agency_id == agency.pk and assignee_id in (None, signal.assignee_id):
        return False
    old_agency, old_assignee = signal.agency_id, signal.assignee_id
    old_schedule = None if change.deferred else schedule_key(signal, change.cache)
    signal.agency = agency
    signal.assignee_id = assignee_id
    change.entries.append(
        timeline.routed(signal.pk, agency=(old_agency, agency.pk), assignee=(old_assignee, assignee_id),
                        actor_id=change.actor_id, at=change.at, reason=reason)
    )  # fmt: skip
    # From now on the deadlines count in the agency's calendar and time zone (unless they are
    # the ones they counted in already).
    if not change.deferred and schedule_key(signal, change.cache) != old_schedule:
        change._recompute(ROUTED, rematch=False)
    if signal.status == Status.NEW:
        move(change, Status.IN_PROGRESS)
    return True


def assign(change: Change, *, assignee_id: int | None) -> bool:
    signal = change.signal
    if signal.assignee_id == assignee_id:
        return False
    change.entries.append(
        timeline.assigned(signal.pk, assignee=(signal.assignee_id, assignee_id),
                          actor_id=change.actor_id, at=change.at)
    )  # fmt: skip
    signal.assignee_id = assignee_id
    return True


def take(change: Change, *, user_id: int) -> bool:
    """An agency employee takes the signal: assignee, first reaction, back in work."""
    signal = change.signal
    taken = None
    if signal.assignee_id is None:
        signal.assignee_id = user_id
        taken = (None, user_id)
    reacted = signal.reacted_at is None
    if reacted:
        signal.reacted_at = change.at
    if taken is None and not reacted and signal.status == Status.IN_PROGRESS:
        return False
    change.entries.append(
        timeline.taken(signal.pk, assignee=taken, actor_id=change.actor_id, at=change.at)
    )
    if signal.status == Status.AWAITING_INFO:
        move(change, Status.IN_PROGRESS)
    return True


def close(change: Change) -> bool:
    signal = change.signal
    if signal.status == Status.ANSWERED:
        signal.resolved_at = change.at
    return move(change, Status.CLOSED)


def close_without_details(change: Change, *, reason: str) -> bool:
    """The citizen never answered the question: closed as «details not received», the clock
    still paused (should the details come late, the work resumes where it stopped)."""
    change.signal.closure = Closure.NO_DETAILS
    return move(change, Status.CLOSED, reason=reason)


def reopen(change: Change, *, reason: str, agency: Agency | None = None) -> bool:
    signal = change.signal
    if agency is not None:
        signal.agency = agency
    signal.resolved_at = None
    return move(change, Status.IN_PROGRESS, reason=reason)


def mark_duplicate(change: Change, *, original_id: int, original_number: str) -> bool:
    """A repeat is linked to the first signal and set aside (rejected as a repeat)."""
    change.signal.duplicate_of_id = original_id
    reason = _("Repeat of signal %(number)s") % {"number": original_number}
    return move(change, Status.REJECTED, reason=reason)


# --- attributes ------------------------------------------------------------------------------


def set_category(change: Change, category: Category | None, *, note: str = "") -> bool:
    signal = change.signal
    new = category.pk if category is not None else None
    if signal.category_id == new:
        return False
    change.recounting()
    change.entries.append(
        timeline.attribute_changed(signal.pk, name="category", old=signal.category_id, new=new,
                                   actor_id=change.actor_id, at=change.at, note=note)
    )  # fmt: skip
    signal.category = category  # the policy match reads the category's topic
    change._recompute(CATEGORY_CHANGED, rematch=True)
    return True


def set_priority(change: Change, priority: str) -> bool:
    return _set_plain(change, "priority", priority, PRIORITY_CHANGED)


def set_channel(change: Change, channel: str) -> bool:
    return _set_plain(change, "channel", channel, CHANNEL_CHANGED)


def _set_plain(change: Change, name: str, value: str, reason: Promise) -> bool:
    signal = change.signal
    old = getattr(signal, name)
    if old == value:
        return False
    if name == "channel":
        change.recounting()
    change.entries.append(
        timeline.attribute_changed(signal.pk, name=name, old=old, new=value,
                                   actor_id=change.actor_id, at=change.at)
    )  # fmt: skip
    setattr(signal, name, value)
    change._recompute(reason, rematch=True)
    return True


def edit_text(change: Change, text: str) -> bool:
    """The author edited the original post."""
    signal = change.signal
    if not text or text == signal.text:
        return False
    change.entries.append(
        timeline.text_edited(signal.pk, old=signal.text, new=text, actor_id=change.actor_id,
                             at=change.at)
    )  # fmt: skip
    signal.text = text
    return True


def deleted_at_source(change: Change) -> bool:
    signal = change.signal
    if signal.deleted_at_source is not None:
        return False
    signal.deleted_at_source = change.at
    change.entries.append(
        timeline.deleted_at_source(signal.pk, actor_id=change.actor_id, at=change.at)
    )
    return True


def extend(change: Change, *, terms: PolicyTerms, reason: str) -> bool:
    change.entries += deadlines.extend(
        change.signal, terms=terms, reason=reason, actor_id=change.actor_id, at=change.at
    )
    return True


# --- replies ---------------------------------------------------------------------------------


def reply_submitted(change: Change, reply: ReplyLike) -> bool:
    signal = change.signal
    change.entries.append(
        timeline.reply_submitted(signal.pk, reply_id=reply.pk, reply_kind=reply.kind,
                                 actor_id=change.actor_id, at=change.at)
    )  # fmt: skip
    if reply.kind == Reply.Kind.FINAL:
        move(change, Status.REPLY_REVIEW)
    return True


def reply_approved(change: Change, reply: ReplyLike, *, mass_incident: str = "") -> bool:
    """A published reply: the first reaction if none yet; a final one answers the signal."""
    signal = change.signal
    change.entries.append(
        timeline.reply_approved(signal.pk, reply_id=reply.pk, actor_id=change.actor_id,
                                at=change.at, mass_incident=mass_incident)
    )  # fmt: skip
    if signal.reacted_at is None:
        signal.reacted_at = change.at
    if reply.kind == Reply.Kind.FINAL and not mass_incident:
        signal.answered_at = change.at
        move(change, Status.ANSWERED)
    return True


def reply_returned(change: Change, reply: ReplyLike, *, comment: str) -> bool:
    signal = change.signal
    change.entries.append(
        timeline.reply_returned(signal.pk, reply_id=reply.pk, comment=comment,
                                actor_id=change.actor_id, at=change.at)
    )  # fmt: skip
    if reply.kind == Reply.Kind.FINAL:
        move(change, Status.IN_PROGRESS, reason=comment)
    return True


def reply_edited(change: Change, reply: Reply, *, old: str) -> bool:
    change.entries.append(
        timeline.reply_edited(change.signal.pk, reply_id=reply.pk, old=old, new=reply.text,
                              actor_id=change.actor_id, at=change.at)
    )  # fmt: skip
    return True
