"""Endpoints of `/api/v1/`: parse, call one selector or workflow service, serialise.

Visibility comes from the same selectors as the UI (a signal the user may not see is a 404),
rights from the same services (a refused action is a 403 or 409 and writes nothing).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User
from agencies.selectors import staff_context
from signals_app.access import parts_seen
from signals_app.api import serializers as io
from signals_app.api.auth import PerTokenThrottle
from signals_app.casefile import case_file, replies_seen_by
from signals_app.choices import Status
from signals_app.errors import ErrorSerializer, InvalidTransition
from signals_app.filters import SignalFilterSet
from signals_app.models import Note, Reply, Signal
from signals_app.selectors import signal_visible_to
from signals_app.workflow import actions as registry

ERRORS = {
    code: OpenApiResponse(ErrorSerializer, description=text)
    for code, text in (
        (400, "Invalid input: `errors` holds the messages per field."),
        (401, "No valid session or token."),
        (403, "The user may not do this to this signal."),
        (404, "No such signal among those the user may see."),
        (409, "The signal changed meanwhile (`conflict`) or its status does not allow it."),
        (429, "Too many requests for this token; `retry_after` seconds."),
    )
}


# A real-looking number (the first signal of region 74 this year): the documentation shows it,
# and the schema-driven tests send it, so they reach an existing signal as well as missing ones.
NUMBER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH,
    description="The signal's number: region-year-sequence.",
    examples=[OpenApiExample("number", value=f"74-{date.today().year}-000001")],
)  # fmt: skip


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class ApiView(APIView):
    """Base of every endpoint: per-token throttling, the staff context for the serialisers."""

    throttle_classes = [PerTokenThrottle]

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "staff": staff_context(user=self.request.user)}


class Cursor(CursorPagination):
    """Newest first by id: stable while rows arrive, no duplicates or gaps between pages.

    A mangled cursor is bad input (400), not a missing page (DRF says 404).
    """

    ordering = "-id"

    def decode_cursor(self, request: Request):  # type: ignore[no-untyped-def]
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError(
                {"cursor": [_("Invalid cursor: follow the next and previous links as given.")]}
            ) from error


class SignalCursor(Cursor):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def signals_for(user: User) -> QuerySet[Signal]:
    return signal_visible_to(user=user).select_related(
        "region", "category", "category__parent", "municipality", "agency", "assignee", "parent"
    )


@extend_schema(
    tags=["signals"],
    summary="Signals the user may see, filtered like the queue",
    description=(
        "The queue's own filters (`q`, `status`, `channel`, `category`, `municipality`, "
        "`agency`, `assignee`, `priority`, `deadline`, `received_from`, …). Ordered by id, "
        "newest first; follow `next` for the following page."
    ),
    responses={200: io.SignalSerializer(many=True), **errors(400, 401, 429)},
)
class SignalList(ApiView, generics.ListAPIView):
    serializer_class = io.SignalSerializer
    pagination_class = SignalCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = SignalFilterSet

    def get_queryset(self) -> QuerySet[Signal]:
        return signals_for(self.request.user)


def signal_or_404(request: Request, number: str) -> Signal:
    signal = signals_for(request.user).filter(number=number).first()
    if signal is None:
        raise Http404
    return signal


def detail_data(request: Request, signal: Signal) -> dict[str, Any]:
    """The detail serialiser's input: the signal with the page's own reads attached."""
    staff = staff_context(user=request.user)
    seen = parts_seen(staff, signal)
    case = case_file(signal, now=timezone.now(), only_parts_of=seen)
    signal.api_explanation = case.explanation  # type: ignore[attr-defined]
    signal.api_deadlines = case.deadlines  # type: ignore[attr-defined]
    signal.api_escalations = case.escalations  # type: ignore[attr-defined]
    signal.api_timeline = case.timeline  # type: ignore[attr-defined]
    signal.api_replies = replies_seen_by(case.replies, request.user)  # type: ignore[attr-defined]
    signal.api_forwards = list(signal.forwards.select_related("body"))  # type: ignore[attr-defined]
    signal.api_parts = [  # type: ignore[attr-defined]
        part for part in signal.parts.select_related("agency")
        if seen is None or part.agency_id in seen
    ]  # fmt: skip
    signal.api_attachments = case.attachments  # type: ignore[attr-defined]
    context = {"request": request, "staff": staff}
    return io.SignalDetailSerializer(signal, context=context).data


@extend_schema(
    tags=["signals"],
    summary="One signal: deadlines with their explanation, escalations, timeline, replies",
    parameters=[NUMBER],
    responses={200: io.SignalDetailSerializer, **errors(401, 404, 429)},
)
class SignalDetail(ApiView):
    def get(self, request: Request, number: str) -> Response:
        return Response(detail_data(request, signal_or_404(request, number)))


def version_of(data: Any) -> int | None:
    """The signal version the client saw (optional); a bad one is bad input."""
    value = data.get("version") if hasattr(data, "get") else None
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit() or int(value) < 1:
        raise ValidationError({"version": [_("A positive whole number.")]})
    return int(value)


def body_of(request: Request) -> Any:
    """The JSON object sent (a list or a string is bad input, not a crash)."""
    data = request.data
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    return data


def act(request: Request, signal: Signal, name: str, data: Any) -> Any:
    """Perform a registry action on the signal with the request's input and version."""
    return registry.perform(
        name, user=request.user, signal=signal, data=data,
        expected_version=version_of(request.data if hasattr(request.data, "get") else {}),
    )  # fmt: skip


ACTION_RESPONSES = {200: io.SignalDetailSerializer, **errors(400, 401, 403, 404, 409, 429)}


class SignalAction(ApiView):
    """One named action on one signal: the registry checks the input and the right, the
    service performs it; the answer is the fresh signal."""

    action_name = ""

    def post(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        act(request, signal, self.action_name, body_of(request))
        return Response(detail_data(request, signal_or_404(request, number)))


@extend_schema(
    tags=["signals"], summary="Route (or reroute) to an agency", request=io.RouteBody,
    parameters=[NUMBER], responses=ACTION_RESPONSES,
)  # fmt: skip
class SignalRoute(SignalAction):
    action_name = "route"


@extend_schema(
    tags=["signals"], summary="Assign an executor of the signal's agency (null: nobody)",
    parameters=[NUMBER], request=io.AssignBody, responses=ACTION_RESPONSES,
)  # fmt: skip
class SignalAssign(SignalAction):
    action_name = "assign"


@extend_schema(
    tags=["signals"],
    summary="Move to another status",
    parameters=[NUMBER],
    description=(
        "The action that makes the move decides what is allowed (`GET …/actions/` lists them): "
        "`awaiting_info` asks the citizen (reason = the question), `in_progress` resumes or "
        "reopens (reason required to reopen), `closed` closes an answered signal, `rejected` "
        "needs a reason, `new` restores a rejected one."
    ),
    request=io.TransitionInput,
    responses=ACTION_RESPONSES,
)
class SignalTransition(ApiView):
    def post(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        data = io.TransitionInput(data=body_of(request))
        data.is_valid(raise_exception=True)
        target = data.validated_data["to_status"]
        if signal.status == target:  # the same status: nothing to do
            return Response(detail_data(request, signal))
        made_by = registry.action_for_move(signal, target)
        if made_by is None:
            raise InvalidTransition(
                _("A signal in status “%(source)s” cannot move to “%(target)s”.")
                % {"source": Status(signal.status).label, "target": Status(target).label}
            )
        act(request, signal, made_by.name, {"reason": data.validated_data.get("reason", "")})
        return Response(detail_data(request, signal_or_404(request, number)))


@extend_schema_view(
    get=extend_schema(
        tags=["signals"], summary="Replies: the published and submitted ones, and your drafts",
        parameters=[NUMBER],
        responses={200: io.ReplySerializer(many=True), **errors(401, 404, 429)},
    ),
    post=extend_schema(
        tags=["signals"], summary="Write a reply: submit it for review, or keep it as a draft",
        parameters=[NUMBER],
        request=io.ReplyBody,
        responses={201: io.ReplySerializer, **errors(400, 401, 403, 404, 409, 429)},
    ),
)  # fmt: skip
class SignalReplies(ApiView):
    def get(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        replies = replies_seen_by(
            signal.replies.select_related("author", "reviewer", "delivery").order_by("created_at"),
            request.user,
        )
        return Response(io.ReplySerializer(replies, many=True).data)

    def post(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        data = io.ReplyBody(data=body_of(request), context={"signal": signal})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        name = "reply" if values["submit"] else "draft"
        reply = act(request, signal, name, {"text": values["text"], "kind": values["kind"]})
        return Response(io.ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["signals"],
    summary="Approve (publish) or return a submitted reply",
    parameters=[NUMBER],
    request=io.ReviewInput,
    responses={200: io.ReplySerializer, **errors(400, 401, 403, 404, 409, 429)},
)
class ReplyReview(ApiView):
    def post(self, request: Request, number: str, reply_id: int) -> Response:
        signal = signal_or_404(request, number)
        if not Reply.objects.filter(pk=reply_id, signal=signal).exists():
            raise Http404
        data = io.ReviewInput(data=body_of(request))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["decision"] == "approve":
            reply = act(request, signal, "approve", {"reply": reply_id})
        else:
            reply = act(
                request, signal, "return", {"reply": reply_id, "comment": values.get("comment", "")}
            )
        reply = Reply.objects.select_related("author", "reviewer", "delivery").get(pk=reply.pk)
        return Response(io.ReplySerializer(reply).data)


@extend_schema_view(
    get=extend_schema(
        tags=["signals"], summary="Internal notes",
        parameters=[NUMBER],
        responses={200: io.NoteSerializer(many=True), **errors(401, 404, 429)},
    ),
    post=extend_schema(
        tags=["signals"], summary="Add an internal note (@login mentions notify)",
        parameters=[NUMBER],
        request=io.NoteBody,
        responses={201: io.NoteSerializer, **errors(400, 401, 403, 404, 429)},
    ),
)  # fmt: skip
class SignalNotes(ApiView):
    def get(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        notes = Note.objects.filter(signal=signal).select_related("author").order_by("created_at")
        return Response(io.NoteSerializer(notes, many=True).data)

    def post(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        note = act(request, signal, "note", body_of(request))
        return Response(io.NoteSerializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["signals"],
    summary="What you may do to this signal now",
    description=(
        "The actions the signal page offers you, from the same registry: each with its input "
        "fields. Perform one with `POST …/actions/<name>/` (or the named endpoints)."
    ),
    parameters=[NUMBER],
    responses={200: io.ActionSerializer(many=True), **errors(401, 404, 429)},
)
class SignalActions(ApiView):
    def get(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        available = registry.actions_available(request.user, signal)
        return Response(
            io.ActionSerializer(
                available, many=True, context={"request": request, "signal": signal}
            ).data
        )


@extend_schema(
    tags=["signals"],
    summary="Perform one action of the list (`GET …/actions/`) with its input fields",
    parameters=[
        NUMBER,
        OpenApiParameter(
            "name",
            str,
            OpenApiParameter.PATH,
            description="An action's name from `GET …/actions/`.",
            enum=list(registry.REGISTRY),
        ),
    ],
    request={"application/json": OpenApiTypes.OBJECT},
    responses=ACTION_RESPONSES,
)
class SignalActionByName(ApiView):
    def post(self, request: Request, number: str, name: str) -> Response:
        signal = signal_or_404(request, number)
        if name not in registry.REGISTRY:
            raise Http404
        act(request, signal, name, body_of(request))
        return Response(detail_data(request, signal_or_404(request, number)))
