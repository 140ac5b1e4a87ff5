"""Celery tasks of the SLA engine: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from signals_app.sla.notifications import notifications_email_due
from signals_app.sla.recalculate import sla_recalculate_policy
from signals_app.sla.sweep import sla_sweep_batch
from signals_app.sla.waits import details_sweep

SWEEP_BATCHES_PER_RUN = 20


@shared_task(name="sla.sweep", acks_late=True, ignore_result=True)
def sla_sweep() -> None:
    """Fire due escalation steps; re-enqueue while full batches keep coming.

    The notifications of all batches of one run go out as one digest per recipient.
    """
    notification_ids: list[int] = []
    try:
        for _ in range(SWEEP_BATCHES_PER_RUN):
            result = sla_sweep_batch(digest=False)
            notification_ids += result.notification_ids
            if not result.more:
                return
        sla_sweep.apply_async(expires=50)
    finally:
        # Every batch has committed by now; whatever was fired is mailed even if a later
        # batch failed.
        if notification_ids:
            notification_digest.delay(notification_ids)


@shared_task(name="sla.details_sweep", acks_late=True, ignore_result=True)
def sla_details_sweep() -> int:
    """Close the signals whose question to the citizen waited in vain."""
    return details_sweep()


@shared_task(name="sla.forwards_sweep", acks_late=True, ignore_result=True)
def sla_forwards_sweep() -> int:
    """Tell of the outside bodies' answers that are late (each forward once)."""
    from signals_app.workflow.services.outside import forwards_overdue_tell

    return forwards_overdue_tell()


@shared_task(name="sla.parts_sweep", acks_late=True, ignore_result=True)
def sla_parts_sweep() -> int:
    """Escalate the co-executors' parts that are past their deadline (each part once)."""
    from signals_app.workflow.services.parts import parts_overdue_tell

    return parts_overdue_tell()


@shared_task(name="sla.recalculate_policy", acks_late=True)
def sla_recalculate(policy_id: int) -> dict[str, int]:
    return sla_recalculate_policy(policy_id=policy_id)


@shared_task(name="default.notification_digest", acks_late=True, ignore_result=True)
def notification_digest(notification_ids: list[int] | None = None) -> None:
    """Mail what is due (the ids only say why it was queued: every due row is sent). A failed
    send is retried by the next run, every minute."""
    notifications_email_due()
