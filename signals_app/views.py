"""Pages of the signals app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from signals_app import selectors
from signals_app.sla.notifications import notification_list_for_user, notification_mark_read

PAGE_SIZE = 50


@login_required
@vary_on_headers("HX-Request")
def signal_list(request: HttpRequest) -> HttpResponse:
    """List the signals the user may see, newest first, paginated."""
    signals = selectors.signal_list_for_user(user=request.user)
    page = Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "signals_app/signal_list.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, {"page": page})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first."""
    page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "signals_app/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark all of the user's notifications as read."""
    notification_mark_read(user=request.user)
    return HttpResponseRedirect(reverse("signals_app:notification_list"))
