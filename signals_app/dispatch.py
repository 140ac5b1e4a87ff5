"""Queueing Celery tasks by their explicit names (floor 1).

The writing modules do not import the task modules (the tasks import them): they queue a task
by the name it was registered under (`config/celery.py` routes by that name), after the
transaction that made the work commits. Every task module is imported when the apps are ready,
so the names are known in every process.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def send(name: str, *args: Any, **options: Any) -> bool:
    """Queue the task now; False (logged) when the broker cannot take it — the sweeps that
    stand behind every queue pick the work up later."""
    from config.celery import app

    try:
        app.tasks[name].apply_async(args=args, **options)
    except KeyError:
        raise
    except Exception as error:  # the broker is away: never fail the change that was made
        logger.warning("task_queue_failed task=%s error=%s", name, type(error).__name__)
        return False
    return True


def send_on_commit(name: str, *args: Any, **options: Any) -> None:
    """Queue the task once the current transaction has committed (at once outside one)."""
    transaction.on_commit(lambda: send(name, *args, **options))


def send_each_on_commit(name: str, ids: list[int]) -> None:
    """Queue the task once per id after commit (one delivery, one task)."""
    if ids:
        transaction.on_commit(lambda: [send(name, pk) for pk in ids])
