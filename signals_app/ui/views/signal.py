"""The signal page: everything about one signal and the actions its user may take.

The actions come from the registry (`workflow.actions`): the page offers what
`actions_available` says, posts each to `signal_action`, which performs it through the
registry (the service checks the right again under its lock: a hidden button is never the
only guard). A refused action shows the fresh state with the reason; the user's text is kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.selectors import agency_staff, staff_context
from signals_app import citizen
from signals_app.access import mask_name, may_see_personal_data, parts_seen
from signals_app.casefile import case_file
from signals_app.choices import Channel, Priority
from signals_app.errors import ActionForbidden, ConflictError, WorkflowError
from signals_app.models import OutsideBody, Reply, Signal, Subscription
from signals_app.outbound.models import UNDELIVERED, replies_in
from signals_app.ui import selectors as ui
from signals_app.workflow import actions as registry


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _signal_or_404(request: HttpRequest, number: str) -> Signal:
    signal = ui.signal_for_page(user=request.user, number=number)
    if signal is None:
        raise Http404
    return signal


def _page_context(request: HttpRequest, signal: Signal) -> dict:
    user = request.user
    seen = parts_seen(staff_context(user=user), signal)
    case = case_file(signal, now=timezone.now(), only_parts_of=seen)
    replies = case.replies
    actions = registry.ActionSet(registry.actions_available(user, signal, replies=replies))
    drafts = [
        r
        for r in replies
        if r.state in (Reply.State.DRAFT, Reply.State.RETURNED) and r.author_id == user.pk
    ]
    writing = "reply" in actions or "draft" in actions
    parts = [
        part
        for part in signal.parts.select_related("agency", "assignee", "ended_by")
        if seen is None or part.agency_id in seen
    ]
    reply_text = drafts[-1].text if drafts else ""
    if writing and request.GET.get("compose") == "parts":
        reply_text = compile_parts(reply_text, parts)
    agencies = list(ui.agency_choices(signal)) if "route" in actions else []
    return {
        "signal": signal,
        "actions": actions,
        "action_keys": [(item.key, item.label) for item in actions.actions if item.key],
        "personal": may_see_personal_data(staff_context(user=user), signal),
        "masked_author": mask_name(signal.author_name),
        "replies": [r for r in replies if r.state != Reply.State.DRAFT],
        "undelivered": replies_in(replies, UNDELIVERED),
        "submitted": next((r for r in replies if r.state == Reply.State.SUBMITTED), None),
        "drafts": drafts,
        "timeline": case.timeline,
        "attachments": case.attachments,
        "escalations": case.escalations,
        "sla": case.explanation,
        "deadlines": case.deadlines,
        "related": ui.related_signals(signal, user=user),
        "agencies": agencies,
        "suggestions": ui.route_suggestions(signal, agencies) if agencies else [],
        "people": agency_staff(agency_id=signal.agency_id)
        if "assign" in actions and signal.agency_id
        else [],
        "categories": ui.category_choices(signal.region_id) if "category" in actions else [],
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "templates": ui.answer_templates_for(user=user, signal=signal) if writing or drafts else [],
        "reply_kinds": [(kind.value, kind.label) for kind in Reply.WRITTEN_KINDS],
        "reply_text": reply_text,
        "parts": parts,
        "parts_answered": [part for part in parts if part.state == "done"],
        "part_agencies": list(ui.agency_choices(signal)) if "part_add" in actions else [],
        "now": timezone.now(),
        "forwards": list(signal.forwards.select_related("body", "forwarded_by")),
        "outside_bodies": list(
            OutsideBody.objects.filter(region_id=signal.region_id, is_active=True)
        )
        if "forward" in actions
        else [],
        **_citizen_side(signal),
    }


def compile_parts(text: str, parts: list) -> str:  # type: ignore[type-arg]
    """The lead's final answer drafted from the co-executors' answers (after what it has)."""
    answered = [f"{part.agency}: {part.answer}" for part in parts if part.state == "done"]
    return "\n\n".join(chunk for chunk in (text.strip(), *answered) if chunk)


def _citizen_side(signal: Signal) -> dict:
    """The survey of the current cycle and the latest reopen request (two indexed reads)."""
    survey = signal.surveys.filter(cycle=signal.sla_cycle).first()
    return {
        "survey": survey,
        "survey_open": survey is not None and citizen.survey_is_open(survey),
        "reopen_request": signal.reopen_requests.order_by("-created_at", "-pk").first(),
        "status_path": citizen.status_path(signal),
        "subscribers": signal.subscriptions.filter(scope=Subscription.Scope.JOINED).count(),
    }


@login_required
def signal_detail(request: HttpRequest, number: str) -> HttpResponse:
    """Everything about one signal and the actions the user may take on it."""
    signal = _signal_or_404(request, number)
    return TemplateResponse(
        request, "signals_app/signal_detail.html", _page_context(request, signal)
    )


@login_required
def signal_print(request: HttpRequest, number: str) -> HttpResponse:
    """The case file on paper: text, facts, deadlines, replies with their delivery, the whole
    timeline — what the user may see of it, personal data only where they may see it."""
    signal = _signal_or_404(request, number)
    context = _page_context(request, signal) | {"printed_at": timezone.now()}
    return TemplateResponse(request, "signals_app/signal_print.html", context)


def _refused(request: HttpRequest, number: str, error: WorkflowError) -> HttpResponse:
    """Show the fresh state with the reason the action was refused (never a silent overwrite)."""
    if isinstance(error, ConflictError):
        status, text = (
            409,
            _(
                "Someone else changed this signal while you were looking at it. The page now shows "
                "its current state; check it and repeat your action if it is still needed."
            ),
        )
    else:
        status = 403 if isinstance(error, ActionForbidden) else 400
        fields = getattr(error, "errors", None) or {}
        details = [str(message) for messages_ in fields.values() for message in messages_]
        text = "; ".join(details) if details else str(error)
    signal = _signal_or_404(request, number)
    context = _page_context(request, signal) | {"error": text}
    action = request.resolver_match.kwargs.get("action")
    if "text" in request.POST and action in ("reply", "draft"):
        context["reply_text"] = request.POST["text"]  # the user's words are not lost
    return TemplateResponse(request, "signals_app/signal_detail.html", context, status=status)


@login_required
@require_POST
def signal_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action from the signal page, with the version the user saw."""
    if action not in registry.REGISTRY:
        raise Http404
    signal = _signal_or_404(request, number)
    try:
        registry.perform(
            action, user=request.user, signal=signal, data=request.POST,
            expected_version=_int(request.POST.get("version")),
        )  # fmt: skip
    except WorkflowError as error:
        return _refused(request, number, error)
    messages.success(request, str(registry.action(action).done))
    return redirect("signals_app:signal_detail", number=number)


@login_required
def signal_template(request: HttpRequest, number: str) -> HttpResponse:
    """An answer template filled in for this signal, as the reply's text area (htmx)."""
    signal = _signal_or_404(request, number)
    template = ui.answer_templates_for(user=request.user, signal=signal).filter(
        pk=_int(request.GET.get("template"))
    )
    chosen = template.first()
    text = ui.template_fill(chosen, signal) if chosen else request.GET.get("text", "")
    return TemplateResponse(request, "signals_app/_reply_text.html", {"text": text})


INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@login_required
def attachment_file(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    """A stored attachment of a visible signal: images inline, anything else as a download."""
    signal = _signal_or_404(request, number)
    attachment = signal.attachments.filter(pk=attachment_id).exclude(file="").first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except OSError as error:
        raise Http404 from error
    inline = attachment.content_type in INLINE_TYPES
    return FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
