"""Webhooks of the social networks: VK Callback API and Telegram Bot API.

Each stores the event verbatim (minus the shared secret) in the inbox and answers at once, the
way the network expects; processing happens after commit, in a worker.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signals_app.choices import Channel
from signals_app.ingest.services import inbound_store
from signals_app.models import Source


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _same(given: Any, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(str(given or "").encode(), expected.encode())


SOURCE_TTL = 10.0  # seconds: a changed secret or a deactivated source takes effect within it
_sources: dict[tuple[str, str], tuple[float, Source | None]] = {}


def _source(slug: str, channel: str) -> Source | None:
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


def _json_object(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def vk_callback(request: HttpRequest, slug: str) -> HttpResponse:
    """VK Callback API: confirmation, secret, de-duplication on event_id, answer "ok"."""
    source = _source(slug, Channel.VK)
    if source is None:
        return _text("unknown source", 404)
    body = _json_object(request)
    if body is None:
        return _text("malformed JSON", 400)
    if source.secret and not _same(body.get("secret"), source.secret):
        return _text("wrong secret", 403)
    if body.get("type") == "confirmation":
        page = source.official_page
        if page is not None and str(body.get("group_id")) != page.external_id:
            return _text("wrong group", 403)
        return _text(source.confirmation_code, 200)
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip():
        return _text("event_id missing", 400)
    payload = {key: value for key, value in body.items() if key != "secret"}
    # One statement, committed on its own: stored before the answer, nothing else to wait for.
    inbound_store(source=source, external_id=f"vk:{event_id.strip()[:180]}", payload=payload)
    # "ok" also for a repeated event_id and for event types we deliberately ignore: VK retries
    # until it reads it.
    return _text("ok", 200)


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    """Telegram Bot API webhook: secret-token header, de-duplication on update_id."""
    source = _source(slug, Channel.TELEGRAM)
    if source is None:
        return _text("unknown source", 404)
    if not _same(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), source.secret):
        return _text("wrong secret token", 403)
    body = _json_object(request)
    if body is None:
        return _text("malformed JSON", 400)
    update_id = body.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return _text("update_id missing", 400)
    inbound_store(source=source, external_id=f"tg:{update_id}", payload=body)
    return JsonResponse({"ok": True})
