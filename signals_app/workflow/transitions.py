"""The status workflow as data (DESIGN.md §4): every legal move of a signal's status.

Who may make a move, and through which action, is the action registry's business
(`workflow.actions`); this table only says which moves exist. A rerouting keeps the status
(in work → in work), so it is not a move.
"""

from __future__ import annotations

from dataclasses import dataclass

from signals_app.choices import Status


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    reason_required: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.NEW, Status.IN_PROGRESS),
    Transition(Status.NEW, Status.REPLY_REVIEW),  # the centre answers itself
    Transition(Status.NEW, Status.REJECTED, reason_required=True),
    Transition(Status.IN_PROGRESS, Status.AWAITING_INFO, reason_required=True),
    Transition(Status.IN_PROGRESS, Status.REPLY_REVIEW),
    Transition(Status.AWAITING_INFO, Status.IN_PROGRESS),
    Transition(Status.AWAITING_INFO, Status.REJECTED, reason_required=True),
    # No answer to the question in the policy's time: closed as «уточнение не получено».
    Transition(Status.AWAITING_INFO, Status.CLOSED, reason_required=True),
    Transition(Status.REPLY_REVIEW, Status.ANSWERED),
    Transition(Status.REPLY_REVIEW, Status.IN_PROGRESS, reason_required=True),
    Transition(Status.ANSWERED, Status.CLOSED),
    Transition(Status.ANSWERED, Status.IN_PROGRESS, reason_required=True),
    Transition(Status.CLOSED, Status.IN_PROGRESS, reason_required=True),
    Transition(Status.REJECTED, Status.NEW),
)

TRANSITION_TABLE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}

# A move back into work from a finished state counts as a reopening (except a signal closed
# for want of details whose details came late: see `changes._enter`).
REOPENING = frozenset({(Status.ANSWERED, Status.IN_PROGRESS), (Status.CLOSED, Status.IN_PROGRESS)})


def transition_for(source: str, target: str) -> Transition | None:
    """The legal move from source to target, or None."""
    return TRANSITION_TABLE.get((source, target))
