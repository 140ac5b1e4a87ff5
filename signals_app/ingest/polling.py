"""What every poller of the registry does around its reading: one worker per mailbox or group
at a time (a lock in the cache), a failure recorded on it and tried again on the next run,
the moment of the last reading kept."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

LOCK_SECONDS = 15 * 60


def poll_each(items: Iterable[Any], *, name: str, read: Callable[[Any], int]) -> int:
    """`read` each item (a model with `polled_at` and `last_error`) that no other worker is
    reading; how many messages they stored together."""
    stored = 0
    for item in items:
        lock = f"{name}-poll:{item.pk}"
        if not cache.add(lock, 1, timeout=LOCK_SECONDS):
            continue  # another worker is reading it
        try:
            stored += read(item)
        except Exception as error:  # the server is down, a password changed: the next run
            item.last_error = f"{type(error).__name__}: {error}"[:2000]
            logger.warning("%s_poll_failed source_id=%s error=%s", name, item.source_id,
                           type(error).__name__)  # fmt: skip
        else:
            item.last_error = ""
        finally:
            cache.delete(lock)
        item.polled_at = timezone.now()
        item.save(update_fields=["polled_at", "last_error"])
    return stored
