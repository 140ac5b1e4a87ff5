"""What waits for the user ("my work") and an agency's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from signals_app.choices import OPEN_STATUSES
from signals_app.filters import default_order
from signals_app.selectors import agency_for_user
from signals_app.ui import selectors as ui
from signals_app.ui.views.queue import PAGE_SIZE, action_keys, action_names


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    work = ui.my_work(user=request.user)
    assigned = list(work["assigned"][:100])
    review = list(work["review"][:100]) if "review" in work else None
    context = {
        "assigned": ui.queue_rows(assigned, user=request.user),
        "review": ui.queue_rows(review, user=request.user) if review is not None else None,
        "returned": work["returned"],
        "parts": list(work["parts"][:100]) if "parts" in work else [],
        "action_keys": action_keys(request.user),
        "action_names": action_names(request.user),
    }
    return TemplateResponse(request, "signals_app/my_work.html", context)


@login_required
def agency_detail(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = agency_for_user(user=request.user, agency_id=agency_id)
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
        "action_keys": action_keys(request.user),
        "action_names": action_names(request.user),
    }
    return TemplateResponse(request, "signals_app/agency_detail.html", context)
