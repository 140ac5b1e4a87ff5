"""How often one address may call a public page (floor 1): the widget's submissions, the
citizen's status page and its survey. Counted in the cache (Redis) per address and scope."""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def limit_key(scope: str, address: str) -> str:
    """The cache key counting one address's calls of one scope (the address only hashed)."""
    return f"{scope}:ip:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def over_limit(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Whether this address has gone over `limit` calls of `scope` within `window` seconds.

    With the cache away the call is let through and the outage logged: a citizen's report or
    question is worth more than the limit. The address is kept only as a hash.
    """
    key = limit_key(scope, client_address(request))
    try:
        if cache.add(key, 1, window):
            return False
        try:
            return cache.incr(key) > limit
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window)
            return False
    except Exception as error:  # the cache is down, not the page
        logger.warning("rate_limit_unavailable scope=%s error=%s", scope, type(error).__name__)
        return False
