"""Celery discovers the app's tasks here."""

from celery import shared_task

from signals_app.analytics.early_warning import alerts_detect_all, alerts_morning_digest
from signals_app.ingest.tasks import channels_poll, process_messages, sweep_pending
from signals_app.outbound.tasks import deliver_reply, deliver_webhook
from signals_app.outbound.tasks import sweep as outbound_sweep
from signals_app.privacy import retention_apply as apply
from signals_app.sla.tasks import (
    notification_digest,
    sla_details_sweep,
    sla_forwards_sweep,
    sla_parts_sweep,
    sla_recalculate,
    sla_sweep,
)
from signals_app.votes.services import phases_sweep
from signals_app.workflow.services.tell import news_sweep


@shared_task(name="default.retention_apply", acks_late=True, ignore_result=True)
def retention_apply() -> int:
    """Nightly: the regions' retention policies, in batches (a policy not switched on is only
    counted); a run stops after its time budget and the next one goes on."""
    return sum(run.done for run in apply())


@shared_task(name="default.citizen_news", acks_late=True, ignore_result=True)
def citizen_news() -> int:
    """The authors' news: what changed on their status page since they were last told."""
    return news_sweep()


@shared_task(name="default.votes_phases", acks_late=True, ignore_result=True)
def votes_phases() -> int:
    """The campaigns' calendar: voting opens and closes in each municipality's time zone."""
    return phases_sweep()


@shared_task(name="default.alerts_detect", acks_late=True, ignore_result=True)
def alerts_detect() -> int:
    """Early warning: every region's run over its counts."""
    return alerts_detect_all().opened


@shared_task(name="default.alerts_digest", acks_late=True, ignore_result=True)
def alerts_digest() -> int:
    """The analysts' morning letter of early warnings (08:00 in each region)."""
    return alerts_morning_digest()


__all__ = [
    "alerts_detect",
    "alerts_digest",
    "channels_poll",
    "citizen_news",
    "deliver_reply",
    "deliver_webhook",
    "notification_digest",
    "outbound_sweep",
    "process_messages",
    "retention_apply",
    "sla_details_sweep",
    "sla_forwards_sweep",
    "sla_parts_sweep",
    "sla_recalculate",
    "sla_sweep",
    "sweep_pending",
    "votes_phases",
]
