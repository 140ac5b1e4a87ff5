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

from agencies.models import Agency, User
from agencies.selectors import staff_context
from signals_app.api import serializers as io
from signals_app.api.auth import PerTokenThrottle
from signals_app.filters import SignalFilterSet
from signals_app.models import Note, Reply, Signal, Status
from signals_app.selectors import signal_visible_to
from signals_app.ui import selectors as ui
from signals_app.workflow import services as workflow

ERRORS = {
    code: OpenApiResponse(io.ErrorSerializer, description=text)
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
    case = ui.case_file(signal, now=timezone.now())
    signal.api_explanation = case.explanation  # type: ignore[attr-defined]
    signal.api_deadlines = case.deadlines  # type: ignore[attr-defined]
    signal.api_escalations = case.escalations  # type: ignore[attr-defined]
    signal.api_timeline = case.timeline  # type: ignore[attr-defined]
    signal.api_replies = ui.replies_seen_by(case.replies, request.user)  # type: ignore[attr-defined]
    signal.api_attachments = case.attachments  # type: ignore[attr-defined]
    context = {"request": request, "staff": staff_context(user=request.user)}
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


class SignalAction(ApiView):
    """An action on one signal: validate the body, call the service, answer the fresh signal."""

    input_class: type[io.serializers.Serializer]

    def post(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        self.act(request, signal, dict(data.validated_data))
        return Response(detail_data(request, signal_or_404(request, number)))

    def act(self, request: Request, signal: Signal, data: dict[str, Any]) -> None:
        raise NotImplementedError


def _user_or_400(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationError({"assignee": [_("No such active user.")]})
    return user


ACTION_RESPONSES = {200: io.SignalDetailSerializer, **errors(400, 401, 403, 404, 409, 429)}


@extend_schema(
    tags=["signals"], summary="Route (or reroute) to an agency", request=io.RouteInput,
    parameters=[NUMBER],
    responses=ACTION_RESPONSES,
)  # fmt: skip
class SignalRoute(SignalAction):
    input_class = io.RouteInput

    def act(self, request: Request, signal: Signal, data: dict[str, Any]) -> None:
        agency = Agency.objects.filter(pk=data["agency"], region_id=signal.region_id).first()
        if agency is None:
            raise ValidationError({"agency": [_("No such agency in the signal's region.")]})
        workflow.signal_route(
            signal=signal, agency=agency, assignee=_user_or_400(data.get("assignee")),
            reason=data.get("reason", ""), actor=request.user,
            expected_version=data.get("version"),
        )  # fmt: skip


@extend_schema(
    tags=["signals"], summary="Assign an executor of the signal's agency (null: nobody)",
    parameters=[NUMBER],
    request=io.AssignInput, responses=ACTION_RESPONSES,
)  # fmt: skip
class SignalAssign(SignalAction):
    input_class = io.AssignInput

    def act(self, request: Request, signal: Signal, data: dict[str, Any]) -> None:
        workflow.signal_assign(
            signal=signal, assignee=_user_or_400(data["assignee"]), actor=request.user,
            expected_version=data.get("version"),
        )  # fmt: skip


@extend_schema(
    tags=["signals"],
    summary="Move to another status",
    parameters=[NUMBER],
    description=(
        "The transition table decides what is allowed: `awaiting_info` asks the citizen "
        "(reason = the question), `in_progress` resumes or reopens (reason required to reopen), "
        "`closed` closes an answered signal, `rejected` needs a reason, `new` restores a "
        "rejected one."
    ),
    request=io.TransitionInput,
    responses=ACTION_RESPONSES,
)
class SignalTransition(SignalAction):
    input_class = io.TransitionInput

    def act(self, request: Request, signal: Signal, data: dict[str, Any]) -> None:
        target, reason = data["to_status"], data.get("reason", "")
        common = {"signal": signal, "actor": request.user, "expected_version": data.get("version")}
        if target == Status.CLOSED:
            workflow.signal_close(**common)
        elif target == Status.IN_PROGRESS and signal.status in (Status.ANSWERED, Status.CLOSED):
            workflow.signal_reopen(reason=reason, **common)
        else:
            workflow.signal_transition(to_status=target, reason=reason, **common)


@extend_schema_view(
    get=extend_schema(
        tags=["signals"], summary="Replies: the published and submitted ones, and your drafts",
        parameters=[NUMBER],
        responses={200: io.ReplySerializer(many=True), **errors(401, 404, 429)},
    ),
    post=extend_schema(
        tags=["signals"], summary="Write a reply: submit it for review, or keep it as a draft",
        parameters=[NUMBER],
        request=io.ReplyInput,
        responses={201: io.ReplySerializer, **errors(400, 401, 403, 404, 409, 429)},
    ),
)  # fmt: skip
class SignalReplies(ApiView):
    def get(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        replies = ui.replies_seen_by(
            signal.replies.select_related("author", "reviewer", "delivery").order_by("created_at"),
            request.user,
        )
        return Response(io.ReplySerializer(replies, many=True).data)

    def post(self, request: Request, number: str) -> Response:
        signal = signal_or_404(request, number)
        data = io.ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["submit"]:
            reply = workflow.reply_submit(
                signal=signal, text=values["text"], kind=values["kind"], actor=request.user,
                expected_version=values.get("version"),
            )  # fmt: skip
        else:
            reply = workflow.reply_draft_save(
                signal=signal, text=values["text"], kind=values["kind"], actor=request.user
            )
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
        reply = Reply.objects.filter(pk=reply_id, signal=signal).first()
        if reply is None:
            raise Http404
        data = io.ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["decision"] == "approve":
            reply = workflow.reply_approve(
                reply=reply, actor=request.user, expected_version=values.get("version")
            )
        else:
            reply = workflow.reply_return(
                reply=reply, comment=values.get("comment", ""), actor=request.user,
                expected_version=values.get("version"),
            )  # fmt: skip
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
        request=io.NoteInput,
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
        data = io.NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = workflow.note_add(
            signal=signal, text=data.validated_data["text"], actor=request.user
        )
        return Response(io.NoteSerializer(note).data, status=status.HTTP_201_CREATED)
