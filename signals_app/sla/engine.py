"""The SLA rules as pure functions: policy terms, matching, deadlines, ladder thresholds.

Nothing here touches the database; services.py loads rows, calls these, and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from signals_app.sla.clock import ZERO, Clock, ClockStart, WorkSchedule, add, elapsed

DEADLINES = ("reaction", "answer", "resolution")
FULFILMENT = {"reaction": "reacted_at", "answer": "answered_at", "resolution": "resolved_at"}
DUE = {"reaction": "reaction_due_at", "answer": "answer_due_at", "resolution": "resolution_due_at"}


@dataclass(frozen=True)
class Term:
    duration: timedelta
    clock: Clock


# A question to the citizen waits three working days, as regional practice has it.
DEFAULT_INFO_WAIT = Term(timedelta(days=3), Clock.WORKING_DAYS)


@dataclass(frozen=True)
class Step:
    deadline: str
    level: int
    target: str
    at_percent: int | None = None
    after_breach: timedelta | None = None
    after_breach_clock: Clock = Clock.WORKING_DAYS
    notify: bool = True
    raise_priority: bool = False
    flag_overdue: bool = False


@dataclass(frozen=True)
class PolicyTerms:
    """One version of a policy, frozen: what a signal's deadlines were computed from."""

    policy_id: int
    version: int
    name: str
    deadlines: dict[str, Term]
    pausing_statuses: tuple[str, ...] = ("awaiting_info",)
    extension: Term | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)
    clock_start: ClockStart = ClockStart.RECEIPT  # versions frozen before it counted so
    # How long a question waits for the citizen before the signal is closed without details
    # (versions frozen before it existed wait the default).
    info_wait: Term = DEFAULT_INFO_WAIT

    def to_json(self) -> dict:
        return {
            "policy_id": self.policy_id,
            "version": self.version,
            "name": self.name,
            "deadlines": {
                kind: {"seconds": term.duration.total_seconds(), "clock": term.clock.value}
                for kind, term in self.deadlines.items()
            },
            "pausing_statuses": list(self.pausing_statuses),
            "clock_start": self.clock_start.value,
            "extension": None
            if self.extension is None
            else {
                "seconds": self.extension.duration.total_seconds(),
                "clock": self.extension.clock.value,
            },
            "info_wait": {
                "seconds": self.info_wait.duration.total_seconds(),
                "clock": self.info_wait.clock.value,
            },
            "steps": [
                {
                    "deadline": step.deadline,
                    "level": step.level,
                    "target": step.target,
                    "at_percent": step.at_percent,
                    "after_breach_seconds": None
                    if step.after_breach is None
                    else step.after_breach.total_seconds(),
                    "after_breach_clock": step.after_breach_clock.value,
                    "notify": step.notify,
                    "raise_priority": step.raise_priority,
                    "flag_overdue": step.flag_overdue,
                }
                for step in self.steps
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> PolicyTerms:
        extension = data.get("extension")
        wait = data.get("info_wait")
        return cls(
            policy_id=data["policy_id"],
            version=data["version"],
            name=data["name"],
            deadlines={
                kind: Term(timedelta(seconds=term["seconds"]), Clock(term["clock"]))
                for kind, term in data["deadlines"].items()
            },
            pausing_statuses=tuple(data.get("pausing_statuses", ())),
            clock_start=ClockStart(data.get("clock_start", ClockStart.RECEIPT)),
            extension=None
            if not extension
            else Term(timedelta(seconds=extension["seconds"]), Clock(extension["clock"])),
            info_wait=DEFAULT_INFO_WAIT
            if not wait
            else Term(timedelta(seconds=wait["seconds"]), Clock(wait["clock"])),
            steps=tuple(
                Step(
                    deadline=step["deadline"],
                    level=step["level"],
                    target=step["target"],
                    at_percent=step.get("at_percent"),
                    after_breach=None
                    if step.get("after_breach_seconds") is None
                    else timedelta(seconds=step["after_breach_seconds"]),
                    after_breach_clock=Clock(step.get("after_breach_clock", Clock.WORKING_DAYS)),
                    notify=step.get("notify", True),
                    raise_priority=step.get("raise_priority", False),
                    flag_overdue=step.get("flag_overdue", False),
                )
                for step in data.get("steps", ())
            ),
        )


# --- the clock's start -----------------------------------------------------------------------

# Why the clock of a signal's first cycle starts where it does (the explanation's words).
START_SOURCE = "source"  # the source's moment, as the policy says
START_RECEIPT = "receipt"  # receipt, as the policy says
START_NO_SOURCE_MOMENT = "no_source_moment"  # the policy says the source's moment; none given
START_SOURCE_LATER = "source_later"  # the source's moment is after receipt (a wrong clock)


def clock_start(
    terms: PolicyTerms, *, received_at: datetime, posted_at: datetime | None
) -> tuple[datetime, str]:
    """Where the clock starts under these terms, and why (one of the START_* words).

    From the source's moment where the policy says so (a platform's export imported a week
    late, or a backlog after an outage, keeps the citizen's waiting time), never later than
    receipt; from receipt otherwise.
    """
    if terms.clock_start != ClockStart.SOURCE:
        return received_at, START_RECEIPT
    if posted_at is None:
        return received_at, START_NO_SOURCE_MOMENT
    if posted_at > received_at:
        return received_at, START_SOURCE_LATER
    return posted_at, START_SOURCE


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCandidate:
    policy_id: int
    channels: tuple[str, ...]
    category_id: int | None
    priority: str
    order: int


def policy_match(
    candidates: Iterable[PolicyCandidate],
    *,
    channel: str,
    category_id: int | None,
    topic_id: int | None,
    priority: str,
) -> PolicyCandidate | None:
    """The most specific matching policy; ties go to the lower order, then the older policy.

    Specificity: a channel condition counts 1, a priority condition 1, a topic 1 and a subtopic 2
    (a subtopic is more specific than its topic).
    """
    best: tuple[tuple[int, int, int], PolicyCandidate] | None = None
    for candidate in candidates:
        if candidate.channels and channel not in candidate.channels:
            continue
        if candidate.priority and candidate.priority != priority:
            continue
        score = 0
        if candidate.channels:
            score += 1
        if candidate.priority:
            score += 1
        if candidate.category_id is not None:
            if candidate.category_id == category_id and topic_id is not None:
                score += 2  # the subtopic itself
            elif candidate.category_id in (category_id, topic_id):
                score += 1  # a topic (or a topic-level signal)
            else:
                continue
        key = (-score, candidate.order, candidate.policy_id)
        if best is None or key < best[0]:
            best = (key, candidate)
    return best[1] if best else None


# --- deadlines --------------------------------------------------------------------------------


def shift_by_pause(
    due: datetime,
    term: Term,
    paused_working: timedelta,
    paused_calendar: timedelta,
    schedule: WorkSchedule,
) -> datetime:
    """Move a deadline by the time its clock lost while the signal was paused."""
    if term.clock == Clock.CALENDAR:
        return due + paused_calendar
    if paused_working <= ZERO:
        return due
    return add(due, paused_working, Clock.WORKING_HOURS, schedule)


def deadline_due(
    start: datetime,
    term: Term,
    schedule: WorkSchedule,
    *,
    paused_working: timedelta = ZERO,
    paused_calendar: timedelta = ZERO,
    extension: Term | None = None,
) -> datetime:
    """Start + duration under the clock, moved by pauses and by an extension."""
    due = add(start, term.duration, term.clock, schedule)
    due = shift_by_pause(due, term, paused_working, paused_calendar, schedule)
    if extension is not None:
        due = add(due, extension.duration, extension.clock, schedule)
    return due


def step_threshold(
    step: Step,
    start: datetime,
    due: datetime,
    term: Term,
    schedule: WorkSchedule,
    span: timedelta | None = None,
) -> datetime:
    """When a ladder step fires: a share of the deadline's span, or a delay after the breach.

    `span` (the working time from start to due) may be passed in when several steps share it.
    """
    if step.after_breach is not None:
        return add(due, step.after_breach, step.after_breach_clock, schedule)
    share = (step.at_percent or 100) / 100
    if share >= 1:
        return due
    if term.clock == Clock.CALENDAR:
        return start + (due - start) * share
    if span is None:
        span = elapsed(start, due, Clock.WORKING_HOURS, schedule)
    return add(start, span * share, Clock.WORKING_HOURS, schedule)


@dataclass(frozen=True)
class DeadlineState:
    kind: str
    start: datetime
    due: datetime
    term: Term
    fulfilled: bool


def due_steps(
    terms: PolicyTerms,
    deadlines: Sequence[DeadlineState],
    fired: set[tuple[str, int]],
    schedule: WorkSchedule,
    now: datetime,
) -> tuple[list[Step], datetime | None]:
    """The ladder steps due at `now` (not yet fired, deadline still running), and the next check."""
    by_kind = {state.kind: state for state in deadlines}
    spans: dict[str, timedelta] = {}
    due: list[Step] = []
    upcoming: datetime | None = None
    for step in sorted(terms.steps, key=lambda s: (s.deadline, s.level)):
        state = by_kind.get(step.deadline)
        if state is None or state.fulfilled or (step.deadline, step.level) in fired:
            continue
        partial = step.at_percent is not None and step.at_percent < 100
        if partial and state.term.clock != Clock.CALENDAR and step.deadline not in spans:
            spans[step.deadline] = elapsed(state.start, state.due, Clock.WORKING_HOURS, schedule)
        at = step_threshold(
            step, state.start, state.due, state.term, schedule, spans.get(step.deadline)
        )
        if at <= now:
            due.append(step)
        elif upcoming is None or at < upcoming:
            upcoming = at
    return due, upcoming
