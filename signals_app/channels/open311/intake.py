"""Open311 GeoReport v2: services, a service's definition, service requests in, their status
out — in JSON and in XML (the format the spec requires), from the same data.

Service codes are the region's subtopic codes; a service request is a signal. The `api_key` is
the token of an active source with the `open311` channel. Statuses map to the two of the spec:
open while the signal is open, closed once it is answered, closed or rejected. Every refusal
is the spec's error list, in the format asked for.

A posted request is stored and made a signal in one transaction (`inbound_accept`), so the
answer carries its `service_request_id`; the same request posted again the same day (a client's
retry) answers with the same id instead of a second signal. An `Idempotency-Key` header, when a
client sends one, identifies the request instead of its content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from xml.etree import ElementTree

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from agencies.models import Region
from signals_app.channels.open311 import SPEC
from signals_app.choices import OPEN_STATUSES
from signals_app.ingest.process import inbound_accept
from signals_app.models import Category, Reply, Signal, Source
from signals_app.untrusted import is_identifier

MAX_RESULTS = 1000
STATUSES = ("open", "closed")
# XML 1.0 cannot carry most control characters; a citizen's text may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- answers in the format asked for -----------------------------------------------------------


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ElementTree.Element(root)
    for row in rows:
        element = ElementTree.SubElement(top, item) if item else top
        for name, value in row.items():
            child = ElementTree.SubElement(element, name)
            if isinstance(value, list):  # a service definition's attributes
                for entry in value:
                    attribute = ElementTree.SubElement(child, "attribute")
                    for key, text in entry.items():
                        ElementTree.SubElement(attribute, key).text = _xml_value(text)
            else:
                child.text = _xml_value(value)
    return ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)


def _answer(fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200):  # type: ignore[no-untyped-def]
    """A list of rows as the spec's JSON array or its XML (`<root><item>…</item></root>`)."""
    if fmt == "xml":
        return HttpResponse(
            _xml(root, item, rows), status=status, content_type="text/xml; charset=utf-8"
        )
    body = rows if item else (rows[0] if rows else {})
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    """Open311 errors are a list of {code, description}."""
    return _answer(fmt, "errors", "error", [{"code": code, "description": description}], code)


def _region(request: HttpRequest) -> Region | None:
    code = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    regions = Region.objects.all()
    if code:
        return regions.filter(code=code).first() if is_identifier(code) else None
    return regions.first() if regions.count() == 1 else None


# --- services ------------------------------------------------------------------------------


def _service(category: Category) -> dict[str, Any]:
    parent = category.parent
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{parent.name}: {category.name}" if parent else category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": parent.name if parent else "",
    }


def _services(region: Region):  # type: ignore[no-untyped-def]
    return Category.objects.filter(region=region, level=2, is_active=True).select_related("parent")


@require_GET
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    region = _region(request)
    if region is None:
        return _error(fmt, 404, "jurisdiction_id not found")
    return _answer(fmt, "services", "service", [_service(c) for c in _services(region)])


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """No service has extra attributes (`metadata` is false): the definition lists none."""
    region = _region(request)
    if region is None:
        return _error(fmt, 404, "jurisdiction_id not found")
    if not is_identifier(code) or not _services(region).filter(code=code).exists():
        return _error(fmt, 404, "service_code not found")
    return _answer(fmt, "service_definition", "", [{"service_code": code, "attributes": []}])


# --- requests ------------------------------------------------------------------------------


def _as_request(signal: Signal, reply_text: str) -> dict[str, Any]:
    media = next((a.url for a in signal.attachments.all() if a.url), "")
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
        "media_url": media,
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
    return (
        Signal.objects.filter(region=region, channel=SPEC.code)
        .select_related("category", "agency")
        .prefetch_related("attachments")
    )


def _listed(fmt: str, rows: list[Signal]) -> HttpResponse:
    replies = _replies(rows)
    return _answer(
        fmt,
        "service_requests",
        "request",
        [_as_request(signal, replies.get(signal.pk, "")) for signal in rows],
    )


def _moment(raw: str) -> Any:
    """A W3C datetime with its offset, or None (a nonsense date or offset is not one)."""
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return None
    return None if moment is None or timezone.is_naive(moment) else moment


def _values(raw: str) -> list[str]:
    return [value.strip() for value in raw.split(",") if value.strip()][:MAX_RESULTS]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    region = _region(request)
    if region is None:
        return _error(fmt, 404, "jurisdiction_id not found")
    if request.method == "POST":
        return _create(request, region, fmt)
    signals = _signals(region)
    if ids := request.GET.get("service_request_id"):
        # The spec: service_request_id overrides all the other arguments.
        wanted = [value for value in _values(ids) if is_identifier(value)]
        return _listed(fmt, list(signals.filter(number__in=wanted).order_by("-received_at")))
    if codes := request.GET.get("service_code"):
        signals = signals.filter(category__code__in=_values(codes))
    for name, lookup in (("start_date", "received_at__gte"), ("end_date", "received_at__lte")):
        if raw := request.GET.get(name):
            moment = _moment(raw)
            if moment is None:
                return _error(fmt, 400, f"{name} must be a W3C datetime with an offset")
            signals = signals.filter(**{lookup: moment})
    if raw_status := request.GET.get("status"):
        wanted = _values(raw_status.lower())
        if not wanted or any(value not in STATUSES for value in wanted):
            return _error(fmt, 400, "status is open, closed or both, comma-separated")
        if set(wanted) == {"open"}:
            signals = signals.filter(status__in=OPEN_STATUSES)
        elif set(wanted) == {"closed"}:
            signals = signals.filter(~Q(status__in=OPEN_STATUSES))
    return _listed(fmt, list(signals.order_by("-received_at")[:MAX_RESULTS]))


@require_GET
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    region = _region(request)
    if region is None:
        return _error(fmt, 404, "jurisdiction_id not found")
    signal = _signals(region).filter(number=number).first() if is_identifier(number) else None
    if signal is None:
        return _error(fmt, 404, "service_request_id not found")
    return _listed(fmt, [signal])


def _source(region: Region, key: str) -> Source | None:
    return next(
        (
            candidate
            for candidate in Source.objects.filter(region=region, channel=SPEC.code, is_active=True)
            if candidate.secret and hmac.compare_digest(key.encode(), candidate.secret.encode())
        ),
        None,
    )


def _create(request: HttpRequest, region: Region, fmt: str) -> HttpResponse:
    source = _source(region, request.POST.get("api_key", ""))
    if source is None:
        return _error(fmt, 403, "api_key is not valid")
    code = request.POST.get("service_code", "")
    if not is_identifier(code) or not _services(region).filter(code=code).exists():
        return _error(fmt, 400, "service_code not found")
    description = (request.POST.get("description") or "").replace("\x00", "").strip()
    if len(description) < 5:
        return _error(fmt, 400, "description is required")
    lat, lon = request.POST.get("lat"), request.POST.get("long")
    address = request.POST.get("address_string", "").replace("\x00", "").strip()
    if not (lat and lon) and not address:
        return _error(fmt, 400, "a location (lat and long, or address_string) is required")
    if lat or lon:
        # Refuse bad coordinates at the door: a citizen's typo is not a failed inbox message.
        try:
            if not (-90 <= float(lat or "x") <= 90 and -180 <= float(lon or "x") <= 180):
                raise ValueError
        except ValueError:
            return _error(fmt, 400, "lat and long must be numbers within range, given together")
    media_url = request.POST.get("media_url", "").strip()
    if media_url and (not media_url.startswith(("https://", "http://")) or len(media_url) > 1000):
        return _error(fmt, 400, "media_url must be an http(s) address")
    name = " ".join(
        part for part in (request.POST.get("first_name"), request.POST.get("last_name")) if part
    )
    payload: dict[str, Any] = {
        "text": description[:20_000],
        "posted_at": timezone.now().isoformat(),
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
    if media_url:
        payload["attachments"] = [{"url": media_url}]
    accepted = inbound_accept(
        source=source, external_id=_request_key(request, payload), payload=payload
    )
    if accepted.signal is None:
        return _error(fmt, 400, accepted.message.error or "the request could not be accepted")
    return _answer(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": accepted.signal.number, "service_notice": "", "account_id": None}],
    )


def _request_key(request: HttpRequest, payload: dict[str, Any]) -> str:
    """What identifies a posted request: the client's Idempotency-Key, or its content and day
    (the same request posted again the same day is a retry, not a second problem)."""
    given = request.headers.get("Idempotency-Key", "").strip()
    if given and is_identifier(given) and len(given) <= 150:
        return f"open311:key:{given}"
    content = {key: value for key, value in payload.items() if key != "posted_at"}
    content["device_id"] = request.POST.get("device_id", "")
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return f"open311:{timezone.now():%Y-%m-%d}:{digest}"


def _formats(route: str, view: Any, name: str) -> list:  # type: ignore[type-arg]
    """The route in JSON (named `name`) and in XML (named `name_xml`)."""
    return [
        path(f"{route}.json", view, {"fmt": "json"}, name=name),
        path(f"{route}.xml", view, {"fmt": "xml"}, name=f"{name}_xml"),
    ]


urlpatterns = [
    *_formats("open311/v2/services", services, "open311_services"),
    *_formats("open311/v2/services/<str:code>", service_definition, "open311_service"),
    *_formats("open311/v2/requests", requests_view, "open311_requests"),
    *_formats("open311/v2/requests/<str:number>", request_detail, "open311_request"),
]
