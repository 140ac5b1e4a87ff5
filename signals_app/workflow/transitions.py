"""The status workflow as data (DESIGN.md §4): every legal move and who may make it."""

from __future__ import annotations

from dataclasses import dataclass

from signals_app.models import Status

# Actor kinds. Agency roles come from memberships, centre roles from groups (agencies.Role).
ANALYST = "analyst"
SUPERVISOR = "supervisor"
EXECUTOR = "executor"
COORDINATOR = "coordinator"
AGENCY_STAFF = frozenset({EXECUTOR, COORDINATOR})
CENTRE = frozenset({ANALYST})


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    action: str
    roles: frozenset[str]
    reason_required: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.NEW, Status.IN_PROGRESS, "route", CENTRE),
    Transition(Status.NEW, Status.REPLY_REVIEW, "answer_by_centre", CENTRE),
    Transition(Status.NEW, Status.REJECTED, "reject", CENTRE, reason_required=True),
    Transition(Status.IN_PROGRESS, Status.AWAITING_INFO, "request_info", AGENCY_STAFF, True),
    Transition(Status.IN_PROGRESS, Status.REPLY_REVIEW, "submit_reply", AGENCY_STAFF),
    Transition(Status.AWAITING_INFO, Status.IN_PROGRESS, "resume", AGENCY_STAFF),
    Transition(Status.AWAITING_INFO, Status.REJECTED, "reject", CENTRE, reason_required=True),
    Transition(Status.REPLY_REVIEW, Status.ANSWERED, "approve_reply", CENTRE),
    Transition(Status.REPLY_REVIEW, Status.IN_PROGRESS, "return_reply", CENTRE, True),
    Transition(Status.ANSWERED, Status.CLOSED, "close", CENTRE),
    Transition(Status.ANSWERED, Status.IN_PROGRESS, "reopen", CENTRE, reason_required=True),
    Transition(Status.CLOSED, Status.IN_PROGRESS, "reopen", CENTRE, reason_required=True),
    Transition(Status.REJECTED, Status.NEW, "restore", CENTRE),
)

TRANSITION_TABLE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}

# A move back into work from a finished state counts as a reopening.
REOPENING = frozenset({(Status.ANSWERED, Status.IN_PROGRESS), (Status.CLOSED, Status.IN_PROGRESS)})


def transition_for(source: str, target: str) -> Transition | None:
    """The legal move from source to target, or None."""
    return TRANSITION_TABLE.get((source, target))


def targets_from(source: str) -> list[str]:
    """Statuses reachable in one move from source."""
    return [t.target for t in TRANSITIONS if t.source == source]
