"""What every webhook intake shares: its source (looked up by slug, remembered for a few
seconds), the plain answers the networks expect, a constant-time secret check, a JSON body."""

from __future__ import annotations

import hmac
import time
from typing import Any

from django.http import HttpRequest, HttpResponse

from signals_app.models import Source
from signals_app.untrusted import UntrustedInput, read_json


def text_response(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def same_secret(given: Any, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(str(given or "").encode(), expected.encode())


SOURCE_TTL = 10.0  # seconds: a changed secret or a deactivated source takes effect within it
_sources: dict[tuple[str, str], tuple[float, Source | None]] = {}


def active_source(slug: str, channel: str) -> Source | None:
    """The active source, remembered for a few seconds: webhooks come by the hundred a second."""
    now = time.monotonic()
    cached = _sources.get((slug, channel))
    if cached is not None and now - cached[0] < SOURCE_TTL:
        return cached[1]
    source = (
        Source.objects.select_related("official_page")
        .filter(slug=slug, channel=channel, is_active=True)
        .first()
    )
    _sources[(slug, channel)] = (now, source)
    return source


def source_cache_clear() -> None:
    _sources.clear()


def json_object(request: HttpRequest) -> dict[str, Any] | HttpResponse:
    """The body's JSON object under the input rules, or the plain 400 that refuses it."""
    try:
        body = read_json(request.body)
    except UntrustedInput as error:
        return text_response(error.code.replace("_", " "), 400)
    if not isinstance(body, dict):
        return text_response("not a JSON object", 400)
    return body
