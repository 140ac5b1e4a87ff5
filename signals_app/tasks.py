"""Celery discovers the app's tasks here."""

from signals_app.ingest.tasks import process_messages, sweep_pending
from signals_app.sla.tasks import notification_digest, sla_recalculate, sla_sweep

__all__ = [
    "notification_digest",
    "process_messages",
    "sla_recalculate",
    "sla_sweep",
    "sweep_pending",
]
