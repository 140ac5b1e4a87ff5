"""Questions that waited in vain (floor 4): a signal whose question to the citizen has gone
unanswered for the policy's waiting time (three working days by default) is closed as
«уточнение не получено», the citizen told on their channel; the analysts resume it should the
details come late. Picked by the indexed `Reply.wait_until`; each signal in its own short
transaction, locked with SKIP LOCKED (a signal being worked on waits for the next run)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from signals_app.choices import Status
from signals_app.errors import WorkflowError
from signals_app.models import Reply, Signal
from signals_app.workflow.services import signal_close_without_details

logger = logging.getLogger(__name__)

# A question is published in the same transaction that pauses the clock, a moment after it.
_SAME_MOVE = timedelta(seconds=5)


def details_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Close the signals whose question's wait is over; return how many were closed."""
    now = now or timezone.now()
    due = list(
        Reply.objects.filter(kind=Reply.Kind.QUESTION, wait_until__lte=now)
        .order_by("wait_until")
        .values_list("pk", "signal_id")[:limit]
    )
    closed = 0
    for question_id, signal_id in due:
        try:
            closed += _close_if_still_waiting(question_id, signal_id)
        except WorkflowError as error:
            logger.warning("details_wait_not_closed signal_id=%s error=%s", signal_id,
                           type(error).__name__)  # fmt: skip
    if closed:
        logger.info("details_sweep closed=%s", closed)
    return closed


@transaction.atomic
def _close_if_still_waiting(question_id: int, signal_id: int) -> int:
    signal = Signal.objects.select_for_update(skip_locked=True).filter(pk=signal_id).first()
    if signal is None:
        return 0  # someone is working on it right now: the next run looks again
    latest = (
        Reply.objects.filter(signal=signal, kind=Reply.Kind.QUESTION)
        .order_by("-published_at", "-pk")
        .first()
    )
    Reply.objects.filter(pk=question_id).update(wait_until=None)
    if signal.status != Status.AWAITING_INFO or latest is None or latest.pk != question_id:
        return 0  # answered, resumed, or asked again since (the newer question waits)
    if (
        signal.sla_paused_at is not None
        and latest.published_at is not None
        and latest.published_at + _SAME_MOVE < signal.sla_paused_at
    ):
        return 0  # the signal left and came back to waiting without asking again
    signal_close_without_details(signal=signal.pk, actor=None)
    return 1
