"""VK Callback API: the community's server address is `/hooks/vk/<source slug>/`.

Confirmation (answered with the source's confirmation string), the secret key, de-duplication
on `event_id`; the event is stored verbatim (minus the secret) in the inbox and answered "ok"
at once, as VK expects; processing comes after commit, in a worker.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signals_app.channels.vk import SPEC
from signals_app.ingest.services import inbound_store
from signals_app.ingest.webhooks import active_source, json_object, same_secret, text_response
from signals_app.untrusted import is_identifier


@csrf_exempt
@require_POST
def vk_callback(request: HttpRequest, slug: str) -> HttpResponse:
    """VK Callback API: confirmation, secret, de-duplication on event_id, answer "ok"."""
    source = active_source(slug, SPEC.code)
    if source is None:
        return text_response("unknown source", 404)
    body = json_object(request)
    if isinstance(body, HttpResponse):
        return body
    if source.secret and not same_secret(body.get("secret"), source.secret):
        return text_response("wrong secret", 403)
    if body.get("type") == "confirmation":
        page = source.official_page
        if page is not None and str(body.get("group_id")) != page.external_id:
            return text_response("wrong group", 403)
        return text_response(source.confirmation_code, 200)
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or not is_identifier(event_id):
        return text_response("event_id missing", 400)
    payload = {key: value for key, value in body.items() if key != "secret"}
    # One statement, committed on its own: stored before the answer, nothing else to wait for.
    inbound_store(source=source, external_id=f"vk:{event_id.strip()[:180]}", payload=payload)
    # "ok" also for a repeated event_id and for event types we deliberately ignore: VK retries
    # until it reads it.
    return text_response("ok", 200)


urlpatterns = [path("hooks/vk/<slug:slug>/", vk_callback, name="hook_vk")]
