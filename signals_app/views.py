"""Pages of the signals app."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from signals_app import selectors
from signals_app.ingest.services import inbound_reprocess
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


@login_required
def inbox_failed(request: HttpRequest) -> HttpResponse:
    """Analysts' page of inbox messages that could not become signals."""
    if not selectors.user_is_analyst(user=request.user):
        raise PermissionDenied
    page = Paginator(selectors.inbound_failed_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(request, "signals_app/inbox_failed.html", {"page": page})


@login_required
@require_POST
def inbox_reprocess(request: HttpRequest) -> HttpResponse:
    """Queue the chosen failed messages (one or many) for processing again."""
    if not selectors.user_is_analyst(user=request.user):
        raise PermissionDenied
    wanted = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    allowed = list(
        selectors.inbound_failed_for_user(user=request.user)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    count = inbound_reprocess(message_ids=allowed, actor=request.user)
    messages.success(
        request,
        ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
        % {"count": count},
    )
    return HttpResponseRedirect(reverse("signals_app:inbox_failed"))
