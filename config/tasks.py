"""Project-wide periodic tasks."""

from __future__ import annotations

import time

from celery import shared_task
from django.core.cache import cache

from config.views import HEARTBEAT_KEY


@shared_task(name="default.heartbeat", acks_late=True, ignore_result=True)
def heartbeat() -> None:
    """Record that beat and a worker are alive; /healthz reports the age of this mark."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=3600)
