"""Celery discovers the app's tasks here."""

from signals_app.ingest.tasks import process_messages, sweep_pending
from signals_app.outbound.tasks import deliver_reply, deliver_webhook
from signals_app.outbound.tasks import sweep as outbound_sweep
from signals_app.sla.tasks import (
    notification_digest,
    sla_details_sweep,
    sla_recalculate,
    sla_sweep,
)

__all__ = [
    "deliver_reply",
    "deliver_webhook",
    "notification_digest",
    "outbound_sweep",
    "process_messages",
    "sla_details_sweep",
    "sla_recalculate",
    "sla_sweep",
    "sweep_pending",
]
