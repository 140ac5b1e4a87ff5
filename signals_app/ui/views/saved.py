"""Saved views: a user's named queue filters, private or shared in the region."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency, Region, User
from agencies.selectors import staff_context
from signals_app.errors import WorkflowError
from signals_app.filters import describe_queries, saved_view_query
from signals_app.models import SavedView
from signals_app.ui import columns, services
from signals_app.ui import selectors as ui


def _home_region(user: User):  # type: ignore[no-untyped-def]
    context = staff_context(user=user)
    if context.region_ids:
        return min(context.region_ids)
    return (
        Agency.objects.filter(pk__in=context.agency_ids).values_list("region_id", flat=True).first()
    )


@login_required
def saved_view_list(request: HttpRequest) -> HttpResponse:
    views = list(ui.saved_views_for_user(user=request.user))
    words = describe_queries([view.query for view in views])
    for view in views:
        view.query_text = words[view.query]  # type: ignore[attr-defined]
    return TemplateResponse(request, "signals_app/saved_views.html", {"views": views})


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    if request.POST.get("cols"):  # a view keeps the columns it was saved with
        with_columns = QueryDict(query, mutable=True)
        with_columns["cols"] = ",".join(columns.clean(request.POST["cols"]))
        query = with_columns.urlencode()
    try:
        view = services.saved_view_save(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=saved_view_query(QueryDict(query)),
            is_shared=request.POST.get("is_shared") == "on",
            region=home_region(request.user),
        )
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(reverse("signals_app:signal_list") + (f"?{query}" if query else ""))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("signals_app:signal_list") + f"?{view.query}")


def home_region(user: User) -> Region | None:
    """The region a user's own views and templates belong to."""
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
