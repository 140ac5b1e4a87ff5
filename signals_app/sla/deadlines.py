"""A signal's deadlines, computed on the signal in memory (floor 2).

The workflow calls these inside its own transaction and row lock, for one locked signal or for
many new ones (`signals_create_many`): each function sets the deadline columns on the instance
and returns the timeline entries the change deserves; the caller saves the row and writes the
entries. Nothing here saves a signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from signals_app import timeline as entries
from signals_app.choices import OPEN_STATUSES, Priority, Status
from signals_app.models import Signal
from signals_app.models.signal import Closure
from signals_app.sla.clock import ZERO, Clock, WorkSchedule, elapsed
from signals_app.sla.engine import (
    DEADLINES,
    DUE,
    FULFILMENT,
    PolicyTerms,
    Step,
    clock_start,
    deadline_due,
    due_steps,
    shift_by_pause,
    step_threshold,
)
from signals_app.sla.policies import sla_version_for
from signals_app.sla.selectors import deadline_states, schedule_for_signal, terms_of
from signals_app.timeline import Entry

SLA_FIELDS = [
    "sla_version",
    "sla_started_at",
    "sla_paused_at",
    "sla_paused_working",
    "sla_paused_calendar",
    "sla_extended_at",
    "sla_cycle",
    "sla_next_check_at",
    "next_deadline_at",
    "reaction_due_at",
    "answer_due_at",
    "resolution_due_at",
    "escalation_level",
    "is_overdue",
]

PRIORITY_UP: dict[str, str] = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}


NEW_CYCLE = _("Reopened: a new cycle of deadlines")


def dues_snapshot(signal: Signal) -> dict[str, str | None]:
    return {
        kind: getattr(signal, DUE[kind]).isoformat() if getattr(signal, DUE[kind]) else None
        for kind in DEADLINES
    }


def compute_dues(signal: Signal, terms: PolicyTerms, schedule: WorkSchedule) -> dict[str, object]:
    """Due times of the deadlines that still run; fulfilled ones keep theirs."""
    start = signal.sla_started_at or signal.received_at
    extension = terms.extension if signal.sla_extended_at else None
    dues: dict[str, object] = {}
    for kind in DEADLINES:
        term = terms.deadlines.get(kind)
        if getattr(signal, FULFILMENT[kind]) is not None:
            continue
        if term is None:
            dues[DUE[kind]] = None
            continue
        dues[DUE[kind]] = deadline_due(
            start,
            term,
            schedule,
            paused_working=signal.sla_paused_working,
            paused_calendar=signal.sla_paused_calendar,
            extension=extension if kind != "reaction" else None,
        )
    return dues


def _apply_dues(signal: Signal, terms: PolicyTerms, schedule: WorkSchedule) -> None:
    for field_name, value in compute_dues(signal, terms, schedule).items():
        setattr(signal, field_name, value)


def refresh(
    signal: Signal,
    *,
    now: datetime,
    schedule: WorkSchedule | None = None,
    fired: set[tuple[str, int]] | None = None,
    cache: dict | None = None,
) -> None:
    """Recompute the queue's next deadline and the sweep's next check from the signal's state.

    `fired` are the ladder steps of the current cycle that have fired (read when not given).
    """
    running = [
        getattr(signal, DUE[kind])
        for kind in DEADLINES
        if getattr(signal, DUE[kind]) is not None and getattr(signal, FULFILMENT[kind]) is None
    ]
    open_ = signal.status in OPEN_STATUSES
    signal.next_deadline_at = min(running) if running and open_ else None
    signal.sla_next_check_at = None
    if open_ and signal.sla_paused_at is None and signal.sla_version_id is not None and running:
        terms = terms_of(signal.sla_version)
        schedule = schedule or schedule_for_signal(signal, cache)
        if fired is None:
            from signals_app.sla.selectors import fired_steps

            fired = fired_steps([signal]).get(signal.pk, set()) if signal.pk else set()
        due, upcoming = due_steps(terms, deadline_states(signal, terms), fired, schedule, now)
        # A step that is already due is picked up by the next sweep straight away.
        signal.sla_next_check_at = now if due else upcoming


def assign(
    signal: Signal, *, actor_id: int | None, at: datetime, cache: dict | None = None
) -> list[Entry]:
    """Give a new signal its policy version and deadlines (the clock starts where the policy
    says: `engine.clock_start`); the caller refreshes its next deadline and next check once its
    history is complete."""
    signal.sla_started_at = signal.received_at
    version = sla_version_for(signal, cache)
    if version is None:
        return []
    signal.sla_version = version
    signal.sla_started_at, _why = clock_start(
        terms_of(version), received_at=signal.received_at, posted_at=signal.posted_at
    )
    _apply_dues(signal, terms_of(version), schedule_for_signal(signal, cache))
    return [
        entries.sla_assigned(signal.pk, policy_id=version.policy_id, version=version.number,
                             due=dues_snapshot(signal), actor_id=actor_id, at=at)
    ]  # fmt: skip


def recompute(
    signal: Signal,
    *,
    actor_id: int | None,
    reason: str | Promise,
    at: datetime,
    rematch: bool = True,
    cache: dict | None = None,
) -> list[Entry]:
    """Recompute the running deadlines after a change of category, priority, channel or agency.

    Fulfilled deadlines keep their times. An entry with old → new when anything changed.
    """
    before = (dues_snapshot(signal), signal.sla_version_id)
    version = sla_version_for(signal, cache) if rematch else signal.sla_version
    if version is None:
        return []
    signal.sla_version = version
    schedule = schedule_for_signal(signal, cache)
    _apply_dues(signal, terms_of(version), schedule)
    after = (dues_snapshot(signal), signal.sla_version_id)
    if after == before:
        return []
    return [
        entries.sla_recomputed(signal.pk, reason=reason, actor_id=actor_id, at=at, changes={
            "due": {kind: [before[0][kind], after[0][kind]] for kind in DEADLINES},
            "version": [before[1], after[1]],
            "policy": version.policy_id,
            "policy_version": version.number,
        })
    ]  # fmt: skip


def on_move(
    signal: Signal,
    *,
    source: str,
    target: str,
    actor_id: int | None,
    at: datetime,
    cache: dict | None = None,
) -> list[Entry]:
    """Pause, resume or restart the clocks as a status move demands."""
    if signal.sla_version_id is None:
        return []
    terms = terms_of(signal.sla_version)
    pausing = set(terms.pausing_statuses)
    # Closed for want of details, the signal still waits for them: its pause runs on, and
    # the details coming late resume it (no new cycle: it was never answered).
    waiting = signal.closure == Closure.NO_DETAILS
    if target in pausing and source not in pausing and signal.sla_paused_at is None:
        signal.sla_paused_at = at
        return [entries.sla_paused(signal.pk, actor_id=actor_id, at=at)]
    if target == Status.CLOSED and waiting:
        return []
    if (source in pausing or (source == Status.CLOSED and waiting)) and target not in pausing \
            and signal.sla_paused_at is not None:  # fmt: skip
        return _resume(signal, terms, at, actor_id, cache)
    if source in (Status.ANSWERED, Status.CLOSED) and target == Status.IN_PROGRESS:
        return _new_cycle(signal, at, actor_id, cache)
    return []


def _resume(
    signal: Signal, terms: PolicyTerms, at: datetime, actor_id: int | None, cache: dict | None
) -> list[Entry]:
    schedule = schedule_for_signal(signal, cache)
    paused_at = signal.sla_paused_at
    assert paused_at is not None
    working = elapsed(paused_at, at, Clock.WORKING_HOURS, schedule)
    calendar = at - paused_at
    shifted = {}
    for kind in DEADLINES:
        due = getattr(signal, DUE[kind])
        term = terms.deadlines.get(kind)
        if due is None or term is None or getattr(signal, FULFILMENT[kind]) is not None:
            continue
        new_due = shift_by_pause(due, term, working, calendar, schedule)
        setattr(signal, DUE[kind], new_due)
        shifted[kind] = [due.isoformat(), new_due.isoformat()]
    signal.sla_paused_working += working
    signal.sla_paused_calendar += calendar
    signal.sla_paused_at = None
    return [
        entries.sla_resumed(signal.pk, paused_from=paused_at,
                            working_seconds=working.total_seconds(),
                            calendar_seconds=calendar.total_seconds(), due=shifted,
                            actor_id=actor_id, at=at)
    ]  # fmt: skip


def _new_cycle(
    signal: Signal, at: datetime, actor_id: int | None, cache: dict | None
) -> list[Entry]:
    """A reopened signal gets fresh answer and resolution deadlines and a new ladder cycle."""
    signal.sla_cycle += 1
    signal.sla_started_at = at
    signal.sla_paused_working = ZERO
    signal.sla_paused_calendar = ZERO
    signal.sla_extended_at = None
    signal.answered_at = None
    signal.resolved_at = None
    signal.escalation_level = 0
    signal.is_overdue = False
    return recompute(
        signal, actor_id=actor_id, reason=NEW_CYCLE, at=at,
        rematch=False, cache=cache,
    )  # fmt: skip


def extend(signal: Signal, *, terms: PolicyTerms, reason: str, actor_id: int | None,
           at: datetime) -> list[Entry]:  # fmt: skip
    """Extend the answer (and resolution) deadline once, by the policy's extension."""
    before = dues_snapshot(signal)
    signal.sla_extended_at = at
    _apply_dues(signal, terms, schedule_for_signal(signal))
    after = dues_snapshot(signal)
    return [
        entries.sla_extended(signal.pk, due={kind: [before[kind], after[kind]] for kind in DEADLINES},
                             reason=reason, actor_id=actor_id, at=at)
    ]  # fmt: skip


# --- escalation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    """A ladder step that fires for a signal now, and what it does to the signal."""

    step: Step
    at: datetime
    priority: tuple[str, str] | None  # raised from → to


def fire(signal: Signal, steps: list[tuple[Step, datetime]]) -> list[Fired]:
    """Apply fired steps to the signal in memory: level, overdue flag, raised priority."""
    result = []
    for step, at in steps:
        signal.escalation_level = max(signal.escalation_level, step.level)
        if step.flag_overdue:
            signal.is_overdue = True
        raised = None
        if step.raise_priority and PRIORITY_UP[signal.priority] != signal.priority:
            raised = (signal.priority, PRIORITY_UP[signal.priority])
            signal.priority = raised[1]
        result.append(Fired(step, at, raised))
    return result


def steps_fired_in_history(
    signal: Signal, *, now: datetime, ended_at: datetime | None, cache: dict | None = None
) -> list[tuple[Step, datetime]]:
    """The ladder steps of the current cycle that fell due while the signal's history ran.

    For a history written after the fact (a loaded archive): a step fired if its threshold came
    before its deadline was met, before the signal was finished (`ended_at`) and before now,
    and not while the clock was paused at the end.
    """
    if signal.sla_version_id is None:
        return []
    terms = terms_of(signal.sla_version)
    schedule = schedule_for_signal(signal, cache)
    start = signal.sla_started_at or signal.received_at
    spans: dict[str, timedelta] = {}
    fired = []
    for step in sorted(terms.steps, key=lambda s: (s.deadline, s.level)):
        term = terms.deadlines.get(step.deadline)
        due = getattr(signal, DUE[step.deadline]) if step.deadline in DUE else None
        if term is None or due is None:
            continue
        if step.deadline not in spans and term.clock != Clock.CALENDAR:
            spans[step.deadline] = elapsed(start, due, Clock.WORKING_HOURS, schedule)
        at = step_threshold(step, start, due, term, schedule, spans.get(step.deadline))
        done = getattr(signal, FULFILMENT[step.deadline])
        cutoff = min(moment for moment in (done, ended_at, now) if moment is not None)
        if signal.sla_paused_at is not None and at > signal.sla_paused_at:
            continue
        if at <= cutoff:
            fired.append((step, at))
    return fired
