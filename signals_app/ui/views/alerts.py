"""Early warnings: the list, one alert with its signals, and the analysts' decisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from signals_app.access import is_region_analyst, user_may_report
from signals_app.analytics.early_warning import (
    alert_confirm,
    alert_dismiss,
    alert_queue_query,
    alert_title,
)
from signals_app.analytics.models import Alert
from signals_app.analytics.selectors import alert_samples, alerts_for_user
from signals_app.errors import WorkflowError


def _readers_only(request: HttpRequest) -> None:
    if not user_may_report(user=request.user):
        raise PermissionDenied


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    """The early warnings, newest first; by default those waiting for a decision."""
    _readers_only(request)
    state = request.GET.get("state", Alert.State.OPEN)
    alerts = alerts_for_user(user=request.user, state=state)
    page = Paginator(alerts, 30).get_page(request.GET.get("page"))
    for alert in page.object_list:
        alert.title = alert_title(alert)
    states = [(Alert.State.OPEN, _("Waiting for a decision")), ("running", _("Still rising")),
              (Alert.State.CONFIRMED, _("Confirmed")), (Alert.State.DISMISSED, _("Dismissed")),
              ("all", _("All"))]  # fmt: skip
    return TemplateResponse(
        request, "signals_app/alert_list.html", {"page": page, "state": state, "states": states}
    )


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One warning: what, where, how much above the usual, since when, its signals."""
    _readers_only(request)
    alert = get_object_or_404(alerts_for_user(user=request.user), pk=alert_id)
    context = {
        "alert": alert,
        "title": alert_title(alert),
        "samples": alert_samples(alert=alert),
        "queue_query": alert_queue_query(alert),
        "may_decide": is_region_analyst(request.user, alert.region_id)
        and alert.state == Alert.State.OPEN,
        "reasons": Alert.Reason.choices,
    }
    return TemplateResponse(request, "signals_app/alert_detail.html", context)


@login_required
@require_POST
def alert_decide(request: HttpRequest, alert_id: int, decision: str) -> HttpResponse:
    """Confirm a warning (and perhaps propose its signals as a mass incident) or dismiss it."""
    _readers_only(request)
    alert = alerts_for_user(user=request.user).filter(pk=alert_id).first()
    if alert is None or decision not in ("confirm", "dismiss"):
        raise Http404
    try:
        if decision == "confirm":
            decided = alert_confirm(alert=alert, actor=request.user,
                                    propose=request.POST.get("propose") == "1")  # fmt: skip
            if decided.proposal_id:
                messages.success(request, _("Warning confirmed; its signals are proposed as a "
                                            "mass incident."))  # fmt: skip
                return HttpResponseRedirect(reverse("signals_app:mass_proposal_list"))
            messages.success(request, _("Warning confirmed."))
        else:
            alert_dismiss(alert=alert, actor=request.user, reason=request.POST.get("reason", ""),
                          comment=request.POST.get("comment", ""))  # fmt: skip
            messages.success(request, _("Warning dismissed."))
    except WorkflowError as error:
        messages.error(request, str(error))
    return HttpResponseRedirect(reverse("signals_app:alert_detail", args=[alert.pk]))
