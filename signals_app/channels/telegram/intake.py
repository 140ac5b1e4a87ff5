"""Telegram Bot API webhook: `setWebhook` to `/hooks/telegram/<source slug>/` with the source's
secret as `secret_token`. De-duplication on `update_id`; stored in the inbox, answered at once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signals_app.channels.telegram import SPEC
from signals_app.citizen import citizen_language
from signals_app.ingest.services import inbound_store
from signals_app.ingest.webhooks import active_source, json_object, same_secret, text_response


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    """Telegram Bot API webhook: secret-token header, de-duplication on update_id."""
    source = active_source(slug, SPEC.code)
    if source is None:
        return text_response("unknown source", 404)
    if not same_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), source.secret):
        return text_response("wrong secret token", 403)
    body = json_object(request)
    if isinstance(body, HttpResponse):
        return body
    update_id = body.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return text_response("update_id missing", 400)
    inbound_store(source=source, external_id=f"tg:{update_id}", payload=body)
    query = body.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        # A button pressed: Telegram takes a method call in the answer to its webhook, so the
        # spinner on the citizen's button stops at once (the answer is recorded in the inbox).
        with citizen_language():
            thanks = _("Thank you, your answer is recorded.")
        return JsonResponse(
            {"method": "answerCallbackQuery", "callback_query_id": query["id"][:100],
             "text": thanks}
        )  # fmt: skip
    return JsonResponse({"ok": True})


urlpatterns = [path("hooks/telegram/<slug:slug>/", telegram_webhook, name="hook_telegram")]
