"""The case-management pages: queue, signal page and its actions, bulk actions, saved views,
answer templates, "my work" and the agency page.

Every view looks the signal up through the user's visibility (another agency's signal is a
404) and every write goes through a workflow service, which checks the right again: a hidden
button is never the only guard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from agencies.models import Agency, Role, User
from agencies.selectors import staff_context
from signals_app.filters import SignalFilterSet, default_order
from signals_app.models import (
    OPEN_STATUSES,
    AnswerTemplate,
    Category,
    Priority,
    Reply,
    SavedView,
    Signal,
    Status,
)
from signals_app.selectors import QUEUE_TABS, signal_counts_for_user, signal_visible_to
from signals_app.sla.services import sla_extend
from signals_app.ui import selectors as ui
from signals_app.ui import services
from signals_app.workflow import services as workflow
from signals_app.workflow.errors import (
    ActionForbidden,
    ConflictError,
    InvalidInput,
    WorkflowError,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts up to COUNT_CAP rows and says "more than" beyond: an exact count of a broad
    filter over a million signals costs more than the page itself."""

    capped = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by().values("pk")[: COUNT_CAP + 1].count()
        self.capped = rows > COUNT_CAP
        return min(rows, COUNT_CAP)


# --- the queue ------------------------------------------------------------------------------


def _queue_params(request: HttpRequest) -> QueryDict:
    """The query string, or the role's default view when the user brought none."""
    params = request.GET.copy()
    if not [key for key in params if key != "page"]:
        params["view"] = ui.default_view_for(user=request.user)
    return params


def _filtered(request: HttpRequest, params: QueryDict) -> SignalFilterSet:
    base = default_order(ui.queue_for_user(user=request.user))
    return SignalFilterSet(params, queryset=base, request=request)


def _search_text(filters: SignalFilterSet) -> str:
    if not filters.is_bound or not filters.form.is_valid():
        return ""
    return (filters.form.cleaned_data.get("q") or "").strip()


@login_required
@vary_on_headers("HX-Request")
def signal_list(request: HttpRequest) -> HttpResponse:
    """The queue: the role's default view or the URL's filters, by next deadline first."""
    params = _queue_params(request)
    filters = _filtered(request, params)
    rows = filters.qs
    text = _search_text(filters)
    if text:
        rows = ui.with_highlight(rows, text)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": ui.queue_rows(page.object_list, user=request.user),
        "filters": filters,
        "params": params,
        "counts": _counts(request),
        "newest_id": Signal.objects.aggregate(newest=Max("id"))["newest"] or 0,
        "live": page.number == 1,
        "may_act": _may_act(request.user),
        "saved_views": ui.saved_views_for_user(user=request.user),
        "bulk_actions": BULK_ACTIONS,
        "current_query": services.saved_view_query(params),
        "more_open": any(params.get(name) not in (None, "", "unknown") for name in MORE_FILTERS),
    }
    template = "signals_app/signal_list.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, context)


# The filters behind "more filters": rendered with the page only when one of them is in use,
# otherwise loaded when the panel is opened (their option lists are the page's longest part).
MORE_FILTERS = (
    "status", "channel", "category", "municipality", "agency", "assignee", "priority",
    "received_from", "received_to", "has_reply", "reopened", "mass_incident",
)  # fmt: skip


@login_required
def signal_filters(request: HttpRequest) -> HttpResponse:
    """The "more filters" panel, for the current query string."""
    filters = _filtered(request, _queue_params(request))
    return TemplateResponse(
        request, "signals_app/signal_list.html#more_filters", {"filters": filters}
    )


@login_required
def signal_list_new(request: HttpRequest) -> HttpResponse:
    """Rows of the current filter that arrived since the page was drawn (polled, prepended)."""
    params = _queue_params(request)
    after = request.GET.get("after", "")
    after_id = int(after) if after.isdigit() else 0
    filters = _filtered(request, params)
    fresh = list(ui.queue_new_rows(filters.qs, after_id=after_id))
    context = {
        "rows": ui.queue_rows(fresh, user=request.user),
        "newest_id": max([after_id, *(signal.pk for signal in fresh)]),
        "params": params,
        "may_act": _may_act(request.user),
        "fresh": True,
    }
    return TemplateResponse(request, "signals_app/_queue_new.html", context)


@login_required
def signal_counts(request: HttpRequest) -> HttpResponse:
    """The queue's counters (polled by the list page every 30 seconds)."""
    return TemplateResponse(request, "signals_app/_counts.html", {"counts": _counts(request)})


def _counts(request: HttpRequest) -> list[tuple[str, str, int]]:
    counts = signal_counts_for_user(user=request.user)
    tabs = [(status.value, str(status.label), counts[status.value]) for status in QUEUE_TABS]
    return [*tabs, ("overdue", _("Overdue signals"), counts["overdue"])]


def _may_act(user: User) -> bool:
    return ui.user_may_act(user=user)


# --- bulk actions ---------------------------------------------------------------------------

BULK_ACTIONS = (
    ("route", gettext_lazy("Route to an agency")),
    ("assign", gettext_lazy("Assign")),
    ("category", gettext_lazy("Change the category")),
    ("reject", gettext_lazy("Reject with a reason")),
    ("merge", gettext_lazy("Merge into a mass incident")),
)
MAX_BULK = 200


@login_required
def signal_bulk_fields(request: HttpRequest) -> HttpResponse:
    """The inputs the chosen bulk action needs (loaded when it is chosen, not with the list)."""
    action = request.GET.get("action", "")
    choices = _bulk_choices(request.user, action) if action in dict(BULK_ACTIONS) else {}
    return TemplateResponse(request, "signals_app/_bulk_fields.html", {"action": action, **choices})


def _bulk_choices(user: User, action: str) -> dict:
    context = staff_context(user=user)
    if context.is_superuser:
        regions = None
    else:
        regions = set(context.region_ids) if Role.ANALYST in context.roles else set()
    agencies = Agency.objects.filter(is_active=True).only("id", "name", "region_id")
    categories = Category.objects.filter(is_active=True).select_related("parent")
    if regions is not None:
        agencies = agencies.filter(region_id__in=regions)
        categories = categories.filter(region_id__in=regions)
    member_agencies = set(context.agency_ids) if not context.is_superuser else None
    people = User.objects.filter(is_active=True, memberships__isnull=False)
    if regions is not None:
        people = people.filter(memberships__agency__region_id__in=regions) | people.filter(
            memberships__agency_id__in=member_agencies or []
        )
    if action == "route":
        return {"agencies": agencies.order_by("name")}
    if action == "category":
        return {"categories": categories.order_by("parent__name", "name")}
    if action == "assign":
        return {"people": people.distinct().order_by("last_name", "first_name", "username")[:500]}
    return {}


@dataclass
class Outcome:
    number: str
    done: bool
    message: str


def _one(signal: Signal, call: Callable[[], object], done: str) -> Outcome:
    try:
        call()
    except WorkflowError as error:
        return Outcome(signal.number, False, str(error))
    return Outcome(signal.number, True, done)


@login_required
@require_POST
def signal_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected rows, each through its service; report every row."""
    user = request.user
    action = request.POST.get("action", "")
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()][:MAX_BULK]
    error = ""
    outcomes: list[Outcome] = []
    signals = list(signal_visible_to(user=user).filter(pk__in=ids).order_by("number"))
    if action not in dict(BULK_ACTIONS):
        error = _("Choose an action.")
    elif not signals:
        error = _("Select at least one signal.")
    else:
        try:
            outcomes = _bulk_apply(request, action, signals)
        except InvalidInput as refusal:
            error = str(refusal)
    missing = len(set(ids)) - len(signals)
    if missing > 0:
        outcomes.append(Outcome("—", False, _("%(count)d selected signals were not found.") % {"count": missing}))  # fmt: skip
    context = {"outcomes": outcomes, "error": error, "action": dict(BULK_ACTIONS).get(action, "")}
    status = 400 if error else 200
    if request.htmx:
        # htmx swaps only successful responses: a refusal is the content of the bulk area.
        response = TemplateResponse(request, "signals_app/_bulk_result.html", context)
        if outcomes:
            response["HX-Trigger"] = "queue-changed"
        return response
    return TemplateResponse(request, "signals_app/bulk_result.html", context, status=status)


def _bulk_apply(request: HttpRequest, action: str, signals: list[Signal]) -> list[Outcome]:
    user = request.user
    post = request.POST
    if action == "route":
        agency = Agency.objects.filter(pk=_int(post.get("agency"))).first()
        if agency is None:
            raise InvalidInput(_("Choose the agency."))
        return [
            _one(s, lambda s=s: workflow.signal_route(signal=s.pk, agency=agency, actor=user), _("routed"))
            for s in signals
        ]  # fmt: skip
    if action == "assign":
        person = _person(post.get("assignee"))
        return [
            _one(s, lambda s=s: workflow.signal_assign(signal=s.pk, assignee=person, actor=user), _("assigned"))
            for s in signals
        ]  # fmt: skip
    if action == "category":
        category = Category.objects.filter(pk=_int(post.get("category"))).first()
        if category is None:
            raise InvalidInput(_("Choose the category."))
        return [
            _one(s, lambda s=s: workflow.signal_change_category(signal=s.pk, category=category, actor=user), _("category changed"))
            for s in signals
        ]  # fmt: skip
    if action == "reject":
        reason = post.get("reason", "").strip()
        if not reason:
            raise InvalidInput(_("A reason is required for this action."))
        return [
            _one(s, lambda s=s: workflow.signal_reject(signal=s.pk, reason=reason, actor=user), _("rejected"))
            for s in signals
        ]  # fmt: skip
    return _bulk_merge(request, signals)


def _bulk_merge(request: HttpRequest, signals: list[Signal]) -> list[Outcome]:
    """Merge into the lead the user named (or the earliest selected); refuse rows one by one."""
    lead_number = request.POST.get("parent", "").strip()
    lead = next((s for s in signals if s.number == lead_number), None)
    if lead_number and lead is None:
        lead = signal_visible_to(user=request.user).filter(number=lead_number).first()
        if lead is None:
            raise InvalidInput(_("Signal %(number)s was not found.") % {"number": lead_number})
    if lead is None:
        lead = min(signals, key=lambda s: (s.received_at, s.pk))
    outcomes = []
    for signal in signals:
        if signal.pk == lead.pk:
            outcomes.append(Outcome(signal.number, True, _("leads the mass incident")))
            continue
        outcomes.append(
            _one(
                signal,
                lambda s=signal: workflow.signal_merge(parent=lead.pk, children=[s.pk], actor=request.user),
                _("merged into %(number)s") % {"number": lead.number},
            )
        )  # fmt: skip
    if not any(o.done for o in outcomes if o.number != lead.number):
        outcomes[[o.number for o in outcomes].index(lead.number)] = Outcome(
            lead.number, False, _("nothing was merged into it")
        )
    return outcomes


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _person(value: str | None) -> User | None:
    if not value:
        return None
    person = User.objects.filter(pk=_int(value), is_active=True).first()
    if person is None:
        raise InvalidInput(_("Choose the assignee."))
    return person


# --- the signal page ------------------------------------------------------------------------


def _signal_or_404(request: HttpRequest, number: str) -> Signal:
    signal = ui.signal_for_page(user=request.user, number=number)
    if signal is None:
        raise Http404
    return signal


def _page_context(request: HttpRequest, signal: Signal) -> dict:
    case = ui.case_file(signal, now=timezone.now())
    replies = case.replies
    submitted = next((r for r in replies if r.state == Reply.State.SUBMITTED), None)
    actions = ui.actions_for(user=request.user, signal=signal, submitted=submitted)
    context = staff_context(user=request.user)
    drafts = [
        r
        for r in replies
        if r.state in (Reply.State.DRAFT, Reply.State.RETURNED) and r.author_id == request.user.pk
    ]
    return {
        "signal": signal,
        "actions": actions,
        "personal": ui.may_see_personal_data(context, signal),
        "masked_author": ui.mask_name(signal.author_name),
        "replies": [r for r in replies if r.state != Reply.State.DRAFT],
        "submitted": submitted,
        "drafts": drafts,
        "timeline": case.timeline,
        "attachments": case.attachments,
        "escalations": case.escalations,
        "sla": case.explanation,
        "deadlines": case.deadlines,
        "related": ui.related_signals(signal, user=request.user),
        "agencies": ui.agency_choices(signal) if "route" in actions else [],
        "people": ui.assignee_choices(signal.agency_id) if "assign" in actions else [],
        "categories": ui.category_choices(signal.region_id) if "category" in actions else [],
        "priorities": Priority.choices,
        "templates": ui.answer_templates_for(user=request.user, signal=signal)
        if "reply" in actions or drafts
        else [],
        "reply_kinds": Reply.Kind.choices,
        "reply_text": drafts[-1].text if drafts else "",
        "now": timezone.now(),
    }


@login_required
def signal_detail(request: HttpRequest, number: str) -> HttpResponse:
    """Everything about one signal and the actions the user may take on it."""
    signal = _signal_or_404(request, number)
    return TemplateResponse(
        request, "signals_app/signal_detail.html", _page_context(request, signal)
    )


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
        status, text = (403 if isinstance(error, ActionForbidden) else 400), str(error)
    signal = _signal_or_404(request, number)
    context = _page_context(request, signal) | {"error": text}
    if "text" in request.POST and request.resolver_match.kwargs.get("action") == "reply":
        context["reply_text"] = request.POST["text"]  # the user's words are not lost
    return TemplateResponse(request, "signals_app/signal_detail.html", context, status=status)


@login_required
@require_POST
def signal_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action from the signal page, with the version the user saw."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    signal = _signal_or_404(request, number)
    version = _int(request.POST.get("version"))
    try:
        done = handler(request, signal, version)
    except WorkflowError as error:
        return _refused(request, number, error)
    messages.success(request, done)
    return redirect("signals_app:signal_detail", number=number)


def _act_route(request, signal, version):  # type: ignore[no-untyped-def]
    agency = ui.agency_choices(signal).filter(pk=_int(request.POST.get("agency"))).first()
    if agency is None:
        raise InvalidInput(_("Choose the agency."))
    assignee = _person(request.POST.get("assignee"))
    workflow.signal_route(
        signal=signal.pk, agency=agency, assignee=assignee, actor=request.user,
        reason=request.POST.get("reason", ""), expected_version=version,
    )  # fmt: skip
    return _("Routed to %(agency)s.") % {"agency": agency.name}


def _act_assign(request, signal, version):  # type: ignore[no-untyped-def]
    person = _person(request.POST.get("assignee"))
    workflow.signal_assign(
        signal=signal.pk, assignee=person, actor=request.user, expected_version=version
    )
    return _("Assigned.") if person else _("Unassigned.")


def _act_reply(request, signal, version):  # type: ignore[no-untyped-def]
    post = request.POST
    draft = _int(post.get("draft"))
    kind = post.get("kind", Reply.Kind.FINAL)
    text = post.get("text", "")
    if "submit" in post:
        workflow.reply_submit(
            signal=signal.pk, text=text, kind=kind, actor=request.user, draft=draft,
            expected_version=version,
        )  # fmt: skip
        return _("The reply was submitted for review.")
    workflow.reply_draft_save(
        signal=signal.pk, text=text, kind=kind, actor=request.user, draft=draft
    )
    return _("Draft saved.")


def _submitted_reply(signal: Signal, post: QueryDict) -> int:
    reply = _int(post.get("reply"))
    if reply is None or not signal.replies.filter(pk=reply).exists():
        raise InvalidInput(_("The reply was not found."))
    return reply


def _act_approve(request, signal, version):  # type: ignore[no-untyped-def]
    reply = _submitted_reply(signal, request.POST)
    workflow.reply_approve(reply=reply, actor=request.user, expected_version=version)
    return _("The reply is approved and published.")


def _act_return(request, signal, version):  # type: ignore[no-untyped-def]
    reply = _submitted_reply(signal, request.POST)
    workflow.reply_return(
        reply=reply, comment=request.POST.get("reason", ""), actor=request.user,
        expected_version=version,
    )  # fmt: skip
    return _("The reply was returned for rework.")


def _act_redeliver(request, signal, version):  # type: ignore[no-untyped-def]
    from signals_app.outbound.models import ReplyDelivery
    from signals_app.outbound.services import reply_delivery_retry

    delivery = ReplyDelivery.objects.filter(
        signal=signal, pk=_int(request.POST.get("delivery"))
    ).first()
    if delivery is None:
        raise InvalidInput(_("Choose the delivery to send again."))
    reply_delivery_retry(delivery=delivery, actor=request.user)
    return _("The answer is being sent again.")


def _other(request: HttpRequest, number: str) -> Signal:
    other = ui.signal_for_page(user=request.user, number=number.strip())
    if other is None:
        raise InvalidInput(_("Signal %(number)s was not found.") % {"number": number.strip()})
    return other


def _act_duplicate(request, signal, version):  # type: ignore[no-untyped-def]
    original = _other(request, request.POST.get("original", ""))
    workflow.signal_mark_duplicate(
        signal=signal.pk, original=original, actor=request.user, expected_version=version
    )
    return _("Marked as a repeat of %(number)s.") % {"number": original.number}


def _act_merge(request, signal, version):  # type: ignore[no-untyped-def]
    numbers = request.POST.get("children", "").replace(",", " ").split()
    if not numbers:
        raise InvalidInput(_("Name the signals to merge into this one."))
    children = [_other(request, number).pk for number in numbers[:MAX_BULK]]
    _parent, merged = workflow.signal_merge(parent=signal.pk, children=children, actor=request.user)
    return _("Merged into this mass incident: %(count)d.") % {"count": len(merged)}


def _act_category(request, signal, version):  # type: ignore[no-untyped-def]
    category = ui.category_choices(signal.region_id).filter(pk=_int(request.POST.get("category")))
    workflow.signal_change_category(
        signal=signal.pk, category=category.first(), actor=request.user, expected_version=version
    )
    return _("Category changed.")


def _act_note(request, signal, version):  # type: ignore[no-untyped-def]
    workflow.note_add(signal=signal.pk, text=request.POST.get("text", ""), actor=request.user)
    return _("Note added.")


def _simple(
    service: Callable[..., object], done: str, **fields: str
) -> Callable[[HttpRequest, Signal, int | None], str]:
    """An action that passes posted fields straight to its service: {argument: form field}."""

    def act(request: HttpRequest, signal: Signal, version: int | None) -> str:
        posted = {argument: request.POST.get(field, "") for argument, field in fields.items()}
        service(signal=signal.pk, actor=request.user, expected_version=version, **posted)
        return str(done)

    return act


def _resume(*, signal: int, actor: User, expected_version: int | None) -> object:
    return workflow.signal_transition(
        signal=signal, to_status=Status.IN_PROGRESS, actor=actor, expected_version=expected_version
    )


ACTIONS: dict[str, Callable[[HttpRequest, Signal, int | None], str]] = {
    "route": _act_route,
    "assign": _act_assign,
    "take": _simple(workflow.signal_take, gettext_lazy("The signal is yours now.")),
    "request_info": _simple(
        workflow.signal_request_info,
        gettext_lazy("Details requested; the deadlines are paused."),
        question="reason",
    ),
    "resume": _simple(_resume, gettext_lazy("Back in work; the deadlines run again.")),
    "extend": _simple(
        sla_extend,
        gettext_lazy("Deadline extended; a draft notice to the citizen was added to the replies."),
        reason="reason",
    ),
    "reply": _act_reply,
    "approve": _act_approve,
    "return": _act_return,
    "close": _simple(workflow.signal_close, gettext_lazy("Closed.")),
    "reopen": _simple(workflow.signal_reopen, gettext_lazy("Reopened."), reason="reason"),
    "reject": _simple(workflow.signal_reject, gettext_lazy("Rejected."), reason="reason"),
    "restore": _simple(workflow.signal_restore, gettext_lazy("Restored to the new signals.")),
    "duplicate": _act_duplicate,
    "merge": _act_merge,
    "category": _act_category,
    "priority": _simple(
        workflow.signal_change_priority, gettext_lazy("Priority changed."), priority="priority"
    ),
    "note": _act_note,
    "redeliver": _act_redeliver,
}


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


# --- saved views ----------------------------------------------------------------------------


def _home_region(user: User):  # type: ignore[no-untyped-def]
    context = staff_context(user=user)
    if context.region_ids:
        return min(context.region_ids)
    return (
        Agency.objects.filter(pk__in=context.agency_ids).values_list("region_id", flat=True).first()
    )


@login_required
def saved_view_list(request: HttpRequest) -> HttpResponse:
    views = ui.saved_views_for_user(user=request.user)
    return TemplateResponse(request, "signals_app/saved_views.html", {"views": views})


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    try:
        view = services.saved_view_save(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=services.saved_view_query(QueryDict(query)),
            is_shared=request.POST.get("is_shared") == "on",
            region=_region(request.user),
        )
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(reverse("signals_app:signal_list") + (f"?{query}" if query else ""))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("signals_app:signal_list") + f"?{view.query}")


def _region(user: User):  # type: ignore[no-untyped-def]
    from agencies.models import Region

    region_id = _home_region(user)
    return Region.objects.filter(pk=region_id).first() if region_id else None


def _own_view(request: HttpRequest, view_id: int) -> SavedView:
    view = SavedView.objects.filter(pk=view_id, owner=request.user).first()
    if view is None:
        raise Http404
    return view


@login_required
@require_POST
def saved_view_change(request: HttpRequest, view_id: int) -> HttpResponse:
    view = _own_view(request, view_id)
    try:
        if request.POST.get("delete"):
            services.saved_view_delete(view=view, actor=request.user)
            messages.success(request, _("View deleted."))
        else:
            services.saved_view_share(
                view=view, is_shared=request.POST.get("is_shared") == "on", actor=request.user
            )
            messages.success(request, _("Saved."))
    except WorkflowError as error:
        messages.error(request, str(error))
    return redirect("signals_app:saved_view_list")


# --- answer templates -----------------------------------------------------------------------


class AnswerTemplateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        label=gettext_lazy("Category"),
        empty_label=gettext_lazy("Any category"),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "You may use {number}, {date}, {agency} and {address}: they are filled in from the "
            "signal."
        ),
    )
    is_shared = forms.BooleanField(
        label=gettext_lazy("Share with colleagues in the region"), required=False
    )

    def __init__(self, *args, region_id: int | None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ui.category_choices(region_id or 0)


@login_required
def answer_template_list(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """The user's answer templates (and those shared with them); create or edit one."""
    region = _region(request.user)
    template = None
    if template_id is not None:
        template = AnswerTemplate.objects.filter(pk=template_id, owner=request.user).first()
        if template is None:
            raise Http404
    initial = (
        {"title": template.title, "category": template.category_id, "text": template.text,
         "is_shared": template.is_shared}
        if template else None
    )  # fmt: skip
    form = AnswerTemplateForm(request.POST or None, initial=initial, region_id=region and region.pk)
    if request.method == "POST":
        if region is None:
            messages.error(request, _("Templates belong to a region; you do not work in one."))
        elif request.POST.get("delete") and template is not None:
            services.answer_template_delete(template=template, actor=request.user)
            messages.success(request, _("Template deleted."))
            return redirect("signals_app:answer_template_list")
        elif form.is_valid():
            try:
                services.answer_template_save(
                    owner=request.user, region=region, template=template, **form.cleaned_data
                )
            except WorkflowError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Template saved."))
                return redirect("signals_app:answer_template_list")
    templates = ui.answer_templates_for(user=request.user)
    return TemplateResponse(
        request,
        "signals_app/answer_templates.html",
        {"form": form, "templates": templates, "editing": template},
        status=400 if request.method == "POST" else 200,
    )


# --- my work and the agency page ------------------------------------------------------------


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    work = ui.my_work(user=request.user)
    assigned = list(work["assigned"][:100])
    review = list(work["review"][:100]) if "review" in work else None
    context = {
        "assigned": ui.queue_rows(assigned, user=request.user),
        "review": ui.queue_rows(review, user=request.user) if review is not None else None,
        "returned": work["returned"],
    }
    return TemplateResponse(request, "signals_app/my_work.html", context)


@login_required
def agency_detail(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = ui.agency_for_user(user=request.user, agency_id=agency_id)
    if agency is None:
        raise Http404
    now = timezone.now()
    open_rows = list(
        default_order(ui.queue_for_user(user=request.user)).filter(
            agency=agency, status__in=OPEN_STATUSES
        )[:PAGE_SIZE]
    )
    context = {
        "agency": agency,
        "figures": ui.agency_figures(agency, now=now),
        "rows": ui.queue_rows(open_rows, user=request.user),
        "queue_query": f"view=open&agency={agency.pk}",
    }
    return TemplateResponse(request, "signals_app/agency_detail.html", context)
