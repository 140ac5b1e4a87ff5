"""MAX Bot API webhook: `POST /subscriptions` with the address `/hooks/max/<source slug>/` and
the source's secret as `secret` (sent back in `X-Max-Bot-Api-Secret`). MAX gives updates no id:
each is stored under what it is about (`normalise.update_key`), so a redelivery is recognised.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signals_app.channels.max import SPEC
from signals_app.channels.max.normalise import update_key
from signals_app.channels.max.reply import callback_answer
from signals_app.channels.payload import PayloadError, is_survey_button
from signals_app.ingest.services import inbound_store
from signals_app.ingest.webhooks import active_source, json_object, same_secret, text_response

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def max_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    """MAX webhook: the secret header, an update with its type and time, de-duplicated."""
    source = active_source(slug, SPEC.code)
    if source is None:
        return text_response("unknown source", 404)
    if not same_secret(request.headers.get("X-Max-Bot-Api-Secret"), source.secret):
        return text_response("wrong secret", 403)
    body = json_object(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        key = update_key(body)
    except PayloadError as error:
        return text_response(str(error), 400)
    stored = inbound_store(source=source, external_id=key, payload=body)
    callback = body.get("callback") if body.get("update_type") == "message_callback" else None
    if stored.created and isinstance(callback, dict) and is_survey_button(callback.get("payload")):
        # The spinner on the citizen's button stops when the bot answers the callback.
        callback_answer(source, str(callback.get("callback_id", ""))[:300])
    return JsonResponse({"ok": True})


urlpatterns = [path("hooks/max/<slug:slug>/", max_webhook, name="hook_max")]
