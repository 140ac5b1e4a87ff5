"""OK Bot API webhook: `POST https://api.ok.ru/graph/me/subscribe?access_token=<group token>`
with `{"url": "<the source's address>?secret=<the source's secret>"}`. OK signs nothing, so
the secret travels in the address; OK calls only from its published networks, which
`OK_WEBHOOK_NETWORKS` may require. De-duplication on the message's `mid`; OK wants a 200
within five seconds, so the message is only stored here."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from signals_app.channels.ok import SPEC
from signals_app.channels.ok.normalise import message_key
from signals_app.channels.payload import PayloadError
from signals_app.ingest.services import inbound_store
from signals_app.ingest.webhooks import active_source, json_object, same_secret, text_response
from signals_app.limits import client_address


def _from_ok(request: HttpRequest) -> bool:
    networks = getattr(settings, "OK_WEBHOOK_NETWORKS", ())
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in networks)


@csrf_exempt
@require_POST
def ok_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    source = active_source(slug, SPEC.code)
    if source is None:
        return text_response("unknown source", 404)
    if not same_secret(request.GET.get("secret"), source.secret):
        return text_response("wrong secret", 403)
    if not _from_ok(request):
        return text_response("not from OK's networks", 403)
    body = json_object(request)
    if isinstance(body, HttpResponse):
        return body
    if "message" not in body:  # a chat event (title, members): nothing to keep
        return JsonResponse({"success": True})
    try:
        key = message_key(body)
    except PayloadError as error:
        return text_response(str(error), 400)
    inbound_store(source=source, external_id=key, payload=body)
    return JsonResponse({"success": True})


urlpatterns = [path("hooks/ok/<slug:slug>/", ok_webhook, name="hook_ok")]
