"""Pages of the signals app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.vary import vary_on_headers

from signals_app import selectors

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
