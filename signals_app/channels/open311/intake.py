"""Open311 GeoReport v2 (JSON): services, service requests in, their status out.

Service codes are the region's subtopic codes; a service request is a signal. The `api_key` is
the token of an active source with the `open311` channel. Statuses map to the two of the spec:
open while the signal is open, closed once it is answered, closed or rejected.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from agencies.models import Region
from signals_app.channels.open311 import SPEC
from signals_app.choices import OPEN_STATUSES
from signals_app.ingest.process import inbound_process
from signals_app.ingest.services import inbound_store
from signals_app.models import (
    Category,
    Reply,
    Signal,
    Source,
)

MAX_RESULTS = 1000


def _error(code: int, description: str) -> JsonResponse:
    """Open311 errors are a list of {code, description}."""
    return JsonResponse([{"code": code, "description": description}], status=code, safe=False)


def _region(request: HttpRequest) -> Region | None:
    code = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    regions = Region.objects.all()
    if code:
        return regions.filter(code=code).first()
    return regions.first() if regions.count() == 1 else None


@require_GET
def services(request: HttpRequest) -> JsonResponse:
    region = _region(request)
    if region is None:
        return _error(404, "jurisdiction_id not found")
    rows = Category.objects.filter(region=region, level=2, is_active=True).select_related("parent")
    return JsonResponse(
        [
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": f"{category.parent.name}: {category.name}"
                if category.parent
                else category.name,
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": category.parent.name if category.parent else "",
            }
            for category in rows
        ],
        safe=False,
    )


def _as_request(signal: Signal, reply_text: str) -> dict:
    return {
        "service_request_id": signal.number,
        "status": "open" if signal.status in OPEN_STATUSES else "closed",
        "status_notes": reply_text,
        "service_name": signal.category.name if signal.category else "",
        "service_code": signal.category.code if signal.category else "",
        "description": signal.text,
        "agency_responsible": signal.agency.name if signal.agency else "",
        "service_notice": "",
        "requested_datetime": signal.received_at.isoformat(),
        "updated_datetime": signal.updated_at.isoformat(),
        "expected_datetime": signal.answer_due_at.isoformat() if signal.answer_due_at else None,
        "address": signal.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(signal.latitude) if signal.latitude is not None else None,
        "long": float(signal.longitude) if signal.longitude is not None else None,
        "media_url": "",
    }


def _replies(signals: list[Signal]) -> dict[int, str]:
    published = (
        Reply.objects.filter(signal__in=signals, state=Reply.State.PUBLISHED, kind=Reply.Kind.FINAL)
        .order_by("signal_id", "published_at")
        .values_list("signal_id", "text")
    )
    return dict(published)


def _signals(region: Region):  # type: ignore[no-untyped-def]
    # Citizens see only what came in through Open311: other channels carry personal data.
    return Signal.objects.filter(region=region, channel=SPEC.code).select_related(
        "category", "agency"
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest) -> JsonResponse:
    region = _region(request)
    if region is None:
        return _error(404, "jurisdiction_id not found")
    if request.method == "POST":
        return _create(request, region)
    signals = _signals(region)
    if ids := request.GET.get("service_request_id"):
        signals = signals.filter(
            number__in=[value.strip() for value in ids.split(",")][:MAX_RESULTS]
        )
    if codes := request.GET.get("service_code"):
        signals = signals.filter(category__code__in=[value.strip() for value in codes.split(",")])
    for name, lookup in (("start_date", "received_at__gte"), ("end_date", "received_at__lte")):
        if raw := request.GET.get(name):
            moment = parse_datetime(raw)
            if moment is None or timezone.is_naive(moment):
                return _error(400, f"{name} must be a W3C datetime with an offset")
            signals = signals.filter(**{lookup: moment})
    status = request.GET.get("status")
    if status == "open":
        signals = signals.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        signals = signals.filter(~Q(status__in=OPEN_STATUSES))
    elif status:
        return _error(400, "status is open or closed")
    rows = list(signals.order_by("-received_at")[:MAX_RESULTS])
    replies = _replies(rows)
    return JsonResponse(
        [_as_request(signal, replies.get(signal.pk, "")) for signal in rows], safe=False
    )


@require_GET
def request_detail(request: HttpRequest, number: str) -> JsonResponse:
    region = _region(request)
    signal = _signals(region).filter(number=number).first() if region else None
    if signal is None:
        return _error(404, "service_request_id not found")
    return JsonResponse([_as_request(signal, _replies([signal]).get(signal.pk, ""))], safe=False)


def _create(request: HttpRequest, region: Region) -> JsonResponse:
    key = request.POST.get("api_key", "")
    source = next(
        (
            candidate
            for candidate in Source.objects.filter(region=region, channel=SPEC.code, is_active=True)
            if candidate.secret and hmac.compare_digest(key.encode(), candidate.secret.encode())
        ),
        None,
    )
    if source is None:
        return _error(403, "api_key is not valid")
    code = request.POST.get("service_code", "")
    if not Category.objects.filter(region=region, code=code, level=2, is_active=True).exists():
        return _error(400, "service_code not found")
    description = (request.POST.get("description") or "").replace("\x00", "").strip()
    if len(description) < 5:
        return _error(400, "description is required")
    lat, lon = request.POST.get("lat"), request.POST.get("long")
    address = request.POST.get("address_string", "")
    if not (lat and lon) and not address:
        return _error(400, "a location (lat and long, or address_string) is required")
    if lat or lon:
        # Refuse bad coordinates at the door: a citizen's typo is not a failed inbox message.
        try:
            if not (-90 <= float(lat or "x") <= 90 and -180 <= float(lon or "x") <= 180):
                raise ValueError
        except ValueError:
            return _error(400, "lat and long must be numbers within range, given together")
    name = " ".join(
        part for part in (request.POST.get("first_name"), request.POST.get("last_name")) if part
    )
    payload: dict[str, Any] = {
        "text": description[:20_000],
        "posted_at": datetime.now(tz=timezone.get_current_timezone()).isoformat(),
        "category": code,
        "address": address[:500],
        "lat": lat,
        "lon": lon,
        "author": {
            "name": name,
            "email": request.POST.get("email", ""),
            "phone": request.POST.get("phone", ""),
        },
    }
    if request.POST.get("media_url"):
        payload["attachments"] = [{"url": request.POST["media_url"][:1000]}]
    with transaction.atomic():
        stored = inbound_store(
            source=source, external_id=f"open311-{uuid.uuid4().hex}", payload=payload
        )
    signal = inbound_process(message_id=stored.message.pk)
    if signal is None:
        message = stored.message
        message.refresh_from_db()
        return _error(400, message.error or "the request could not be accepted")
    return JsonResponse(
        [{"service_request_id": signal.number, "service_notice": "", "account_id": None}],
        safe=False,
    )


urlpatterns = [
    path("open311/v2/services.json", services, name="open311_services"),
    path("open311/v2/requests.json", requests_view, name="open311_requests"),
    path("open311/v2/requests/<str:number>.json", request_detail, name="open311_request"),
]
