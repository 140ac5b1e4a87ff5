"""The batch JSON intake: POST /api/v1/ingest/<source slug>/ with `Authorization: Token …`,
one item or `{"items": [...]}` (1 to 1000), each validated alone and stored in the inbox."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from signals_app.errors import ErrorSerializer, error_body
from signals_app.ingest.items import IngestItemSerializer, ItemChecker
from signals_app.ingest.services import inbound_store_many
from signals_app.models import Source
from signals_app.untrusted import StrictJSONParser

MAX_ITEMS = 1000
MAX_BODY = 5 * 1024 * 1024
RULE_CODES = ("too_deep", "invalid_unicode")


def error(code: str, message: Any, http_status: int, errors: Any = None) -> Response:
    """The one JSON shape of every refusal: code, message, field errors."""
    return Response(error_body(code, message, errors), status=http_status)


class IngestBatch(serializers.Serializer):
    items = IngestItemSerializer(
        many=True, help_text=_("1 to 1000 items; one bare item is accepted too.")
    )


class IngestOutcome(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    id = serializers.IntegerField(required=False, help_text=_("The stored inbox row."))
    errors = serializers.DictField(required=False, child=serializers.JSONField())  # type: ignore[assignment]


class IngestResult(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = IngestOutcome(many=True)


@extend_schema(
    tags=["ingest"],
    summary="Hand signals of a source to the centre",
    description=(
        "Authenticate with the source's own token: `Authorization: Token <source secret>`. "
        "Items are stored at once and processed by a worker; an external id already stored "
        "for the source is a `duplicate`, never a second signal."
    ),
    request=IngestBatch,
    responses={
        202: IngestResult,
        **{
            code: OpenApiResponse(ErrorSerializer, description=text)
            for code, text in (
                (
                    400,
                    "Not JSON (or nested over 64 levels, or a lone surrogate), not an object, "
                    "no items or more than 1000.",
                ),
                (401, "Wrong or missing source token."),
                (404, "No active source with this address."),
                (413, "The body is larger than 5 MB."),
            )
        },
    },
    auth=[{"sourceToken": []}],  # type: ignore[list-item]
)
class IngestView(APIView):
    """Accept one item or {"items": [...]}; answer 202 with a result per item."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [StrictJSONParser]

    def post(self, request: Request, slug: str) -> Response:
        source = Source.objects.select_related("region").filter(slug=slug, is_active=True).first()
        if source is None:
            return error(
                "unknown_source",
                _("No active source with this address."),
                status.HTTP_404_NOT_FOUND,
            )
        if not _token_ok(request, source):
            return error(
                "not_authenticated",
                _("Wrong or missing source token."),
                status.HTTP_401_UNAUTHORIZED,
            )
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > MAX_BODY:
            return error(
                "too_large",
                _("The body is larger than 5 MB."),
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            body = request.data
        except RequestDataTooBig:
            return error(
                "too_large",
                _("The body is larger than 5 MB."),
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        except ParseError as refused:
            code = refused.get_codes()
            return error(
                code if isinstance(code, str) and code in RULE_CODES else "malformed_json",
                refused.detail,
                status.HTTP_400_BAD_REQUEST,
            )
        if not isinstance(body, dict):
            return error(
                "not_an_object",
                _("Send one object, or an object with an 'items' list."),
                status.HTTP_400_BAD_REQUEST,
            )
        items = body.get("items") if "items" in body else [body]
        if not isinstance(items, list) or not items:
            return error(
                "no_items", _("'items' must be a non-empty list."), status.HTTP_400_BAD_REQUEST
            )
        if len(items) > MAX_ITEMS:
            return error(
                "too_many_items", _("At most 1000 items per request."), status.HTTP_400_BAD_REQUEST
            )
        results: list[dict[str, Any]] = []
        valid: list[tuple[int, str, dict[str, Any]]] = []
        item_check = ItemChecker()
        for index, item in enumerate(items):
            key, errors = item_check(item)
            if errors:
                results.append({"index": index, "status": "rejected", "errors": errors})
            else:
                valid.append((index, key, item))
        with transaction.atomic():
            stored = inbound_store_many(
                source=source, items=[(key, item) for _, key, item in valid]
            )
        seen: set[str] = set()
        for index, key, _item in valid:
            pk, created = stored[key]
            outcome = "accepted" if created and key not in seen else "duplicate"
            seen.add(key)
            results.append({"index": index, "status": outcome, "id": pk})
        results.sort(key=lambda result: result["index"])
        counts = {
            name: sum(1 for result in results if result["status"] == name)
            for name in ("accepted", "duplicate", "rejected")
        }
        return Response({**counts, "results": results}, status=status.HTTP_202_ACCEPTED)


def _token_ok(request: Request, source: Source) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, token = header.partition(" ")
    if scheme != "Token" or not token or not source.secret:
        return False
    return hmac.compare_digest(token.strip().encode(), source.secret.encode())


assert MAX_BODY <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "raise DATA_UPLOAD_MAX_MEMORY_SIZE"


urlpatterns = [path("api/v1/ingest/<slug:slug>/", IngestView.as_view(), name="ingest")]
