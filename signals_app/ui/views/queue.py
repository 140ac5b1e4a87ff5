"""The queue: the role's default view or the URL's filters, its counters, live rows and the
bulk bar (whose actions come from the action registry, each row performed on its own)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from agencies.models import User
from agencies.services import user_queue_layout_save
from signals_app.access import user_may_act
from signals_app.errors import InvalidInput, WorkflowError
from signals_app.filters import (
    RankedRows,
    SignalFilterSet,
    default_order,
    number_candidates,
    relevance_order,
    saved_view_query,
)
from signals_app.models import Signal
from signals_app.selectors import QUEUE_TABS, signal_counts_for_user, signal_visible_to
from signals_app.ui import columns
from signals_app.ui import selectors as ui
from signals_app.workflow import actions as registry

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts up to COUNT_CAP rows and says "more than" beyond: an exact count of a broad
    filter over a million signals costs more than the page itself."""

    capped = False

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, RankedRows):
            rows = self.object_list.capped_count(COUNT_CAP + 1)
        else:
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
    numbers = number_candidates(text) if text else None
    if numbers is not None:
        found = list(rows.filter(number__in=numbers).values_list("number", flat=True)[:2])
        if len(found) == 1:  # a number typed into the search opens its signal
            target = reverse("signals_app:signal_detail", args=[found[0]])
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
    if text:
        rows = relevance_order(filters, ui.with_highlight(rows, text))
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
        "bulk_actions": registry.bulk_actions_for(request.user),
        "action_keys": action_keys(request.user),
        "current_query": saved_view_query(params),
        "more_open": any(params.get(name) not in (None, "", "unknown") for name in MORE_FILTERS),
        "sort_links": columns.header_links(columns.columns_for(request.user, params), params),
        "column_choices": _column_choices(request.user, params),
        "view_columns": ",".join(columns.keys_for(request.user, params)),
    }
    template = "signals_app/signal_list.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, context)


def _column_choices(user: User, params: QueryDict) -> list[tuple[columns.Column, bool]]:
    """Every column for the chooser: the shown ones first, in their order, then the rest."""
    shown = columns.keys_for(user, params)
    rest = [key for key in columns.BY_KEY if key not in shown]
    return [(columns.BY_KEY[key], key in shown) for key in [*shown, *rest]]


# The filters behind "more filters": rendered with the page only when one of them is in use,
# otherwise loaded when the panel is opened (their option lists are the page's longest part).
MORE_FILTERS = (
    "status", "channel", "category", "municipality", "agency", "assignee", "priority",
    "received_from", "received_to", "has_reply", "reopened", "mass_incident", "undelivered",
    "reopen_requested",
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
    return user_may_act(user=user)


def action_keys(user: User) -> list[tuple[str, str]]:
    """The queue's action keys for this user (the bulk actions that have one)."""
    return [(item.key, str(item.label)) for item in registry.bulk_actions_for(user) if item.key]


def action_names(user: User) -> list[tuple[str, str]]:
    """Key → action name, for lists without a bulk bar (the key opens the signal's form)."""
    return [(item.key, item.name) for item in registry.bulk_actions_for(user) if item.key]


# --- bulk actions ---------------------------------------------------------------------------

MAX_BULK = 200


def _bulk_action(user: User, name: str) -> registry.Action | None:
    return next((item for item in registry.bulk_actions_for(user) if item.name == name), None)


@login_required
def signal_bulk_fields(request: HttpRequest) -> HttpResponse:
    """The inputs the chosen bulk action needs (loaded when it is chosen, not with the list)."""
    chosen = _bulk_action(request.user, request.GET.get("action", ""))
    options = ui.bulk_options(user=request.user, action=chosen.name) if chosen else {}
    context = {"action": chosen.name if chosen else "", **options}
    return TemplateResponse(request, "signals_app/_bulk_fields.html", context)


@dataclass
class Outcome:
    number: str
    done: bool
    message: str


def _one(user: User, name: str, signal: Signal, data: QueryDict | dict, done: str) -> Outcome:
    """Perform the action on one row; its refusal is that row's outcome."""
    try:
        registry.perform(name, user=user, signal=signal, data=data)
    except WorkflowError as error:
        return Outcome(signal.number, False, _refusal_text(error))
    return Outcome(signal.number, True, done)


def _row_done(action: registry.Action) -> str:
    """The action's "done" message as a row's outcome: «направлено», «отклонено»."""
    text = str(action.done).rstrip(".")
    return text[:1].lower() + text[1:]


def _apply(
    user: User, action: registry.Action, signals: list[Signal], data: QueryDict
) -> list[Outcome]:
    """Each row on its own; the input is the same for all, so a first row refused for its
    input (no reason, no agency) refuses the whole request before anything is written."""
    outcomes = []
    done = _row_done(action)
    for index, signal in enumerate(signals):
        if index == 0:
            try:
                registry.perform(action.name, user=user, signal=signal, data=data)
            except InvalidInput as refusal:
                if refusal.errors:
                    raise
                outcomes.append(Outcome(signal.number, False, _refusal_text(refusal)))
            except WorkflowError as error:
                outcomes.append(Outcome(signal.number, False, _refusal_text(error)))
            else:
                outcomes.append(Outcome(signal.number, True, done))
            continue
        outcomes.append(_one(user, action.name, signal, data, done))
    return outcomes


def _refusal_text(error: WorkflowError) -> str:
    """The message of a refusal, with the fields' own messages when the input was wrong."""
    fields = getattr(error, "errors", None) or {}
    details = [str(message) for messages in fields.values() for message in messages]
    return "; ".join(details) if details else str(error)


@login_required
@require_POST
def signal_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected rows, each through the registry; report every row."""
    user = request.user
    chosen = _bulk_action(user, request.POST.get("action", ""))
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()][:MAX_BULK]
    error = ""
    outcomes: list[Outcome] = []
    signals = list(signal_visible_to(user=user).filter(pk__in=ids).order_by("number"))
    if chosen is None:
        error = _("Choose an action.")
    elif not signals:
        error = _("Select at least one signal.")
    elif chosen.name == "merge":
        try:
            outcomes = _bulk_merge(request, signals)
        except InvalidInput as refusal:
            error = str(refusal)
    else:
        try:
            outcomes = _apply(user, chosen, signals, request.POST)
        except InvalidInput as refusal:
            error = _refusal_text(refusal)
    missing = len(set(ids)) - len(signals)
    if missing > 0:
        outcomes.append(Outcome("—", False, _("%(count)d selected signals were not found.") % {"count": missing}))  # fmt: skip
    context = {"outcomes": outcomes, "error": error, "action": chosen.label if chosen else ""}
    status = 400 if error else 200
    if request.htmx:
        # htmx swaps only successful responses: a refusal is the content of the bulk area.
        response = TemplateResponse(request, "signals_app/_bulk_result.html", context)
        if outcomes:
            response["HX-Trigger"] = "queue-changed"
        return response
    return TemplateResponse(request, "signals_app/bulk_result.html", context, status=status)


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
    merged_into = _("merged into %(number)s") % {"number": lead.number}
    outcomes = []
    for signal in signals:
        if signal.pk == lead.pk:
            outcomes.append(Outcome(signal.number, True, _("leads the mass incident")))
            continue
        data = {"children": signal.number, "confirm": request.POST.get("confirm") == "true"}
        outcome = _one(request.user, "merge", lead, data, merged_into)
        outcomes.append(Outcome(signal.number, outcome.done, outcome.message))
    if not any(o.done for o in outcomes if o.number != lead.number):
        outcomes[[o.number for o in outcomes].index(lead.number)] = Outcome(
            lead.number, False, _("nothing was merged into it")
        )
    return outcomes


@login_required
@require_POST
def queue_columns_save(request: HttpRequest) -> HttpResponse:
    """Save the columns (the ticked ones, in the order shown) and the density as the user's
    own; back to the queue as it was, without a view's own `cols`."""
    keys = columns.clean(request.POST.getlist("cols"))
    user_queue_layout_save(user=request.user, columns=keys, density=request.POST.get("density", ""))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("signals_app:signal_list")
    path, _sep, query = target.partition("?")
    params = QueryDict(query, mutable=True)
    params.pop("cols", None)
    messages.success(request, _("Your columns are saved."))
    return redirect(path + (f"?{params.urlencode()}" if params else ""))
