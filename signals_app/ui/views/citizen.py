"""The citizen's status page `/s/<number>/<key>/` (no login): the status in plain words, the
agency, the answer deadline, the published answers and «Проблема решена?». A wrong key is a
plain 404; every address is rate-limited; nothing personal, internal or staff-named is shown."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from signals_app import citizen
from signals_app.limits import over_limit
from signals_app.models import Signal, Subscription, Survey
from signals_app.workflow.services import survey_answer

# Reading a status now and then is fine; guessing keys is not.
RATE_LIMIT = 60
RATE_WINDOW = 600
SAID = {
    "recorded": _("Thank you: your answer is recorded."),
    "already": _("Your answer was recorded before; it stays as it was."),
    "expired": _("The time to answer has passed."),
    "not_asked": _("There is no question to answer for this appeal now."),
}


class SurveyForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("Is the problem solved?"), coerce=lambda value: value == "yes",
        choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    stop_asking = forms.BooleanField(label=_("Do not ask me again"), required=False)


def _page(
    request: HttpRequest, signal: Signal, form: SurveyForm, status: int = 200
) -> HttpResponse:
    facts = citizen.public_status(signal)
    context = {
        "facts": facts, "form": form, "said": SAID.get(request.GET.get("said", "")),
        "operator": settings.PERSONAL_DATA_OPERATOR, "policy_url": _policy_url(),
    }  # fmt: skip
    with citizen.citizen_language():
        context["retention"] = citizen.retention_words(signal.region_id)
        context["telegram_news"] = citizen.telegram_news_link(signal)
        return TemplateResponse(request, "citizen/status.html", context, status=status).render()


def _policy_url() -> str:
    from django.urls import reverse

    return settings.PERSONAL_DATA_POLICY_URL or reverse("widget_privacy")


@require_http_methods(["GET", "HEAD", "POST"])
def citizen_status(request: HttpRequest, number: str, key: uuid.UUID) -> HttpResponse:
    if over_limit(request, scope="status", limit=RATE_LIMIT, window=RATE_WINDOW):
        with citizen.citizen_language():
            return TemplateResponse(request, "citizen/limited.html", {}, status=429).render()
    signal = (
        Signal.objects.select_related("region", "agency")
        .filter(number=number, public_key=key)
        .first()
    )
    if signal is None:
        raise Http404
    if request.method != "POST":
        return _page(request, signal, SurveyForm())
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _page(request, signal, form, status=400)
    outcome = survey_answer(
        signal=signal.pk, solved=form.cleaned_data["solved"], via=Survey.Via.PAGE,
        comment=form.cleaned_data["comment"], stop_asking=form.cleaned_data["stop_asking"],
    )  # fmt: skip
    return redirect(citizen.status_path(signal) + f"?said={outcome.result}")


@require_http_methods(["GET", "HEAD", "POST"])
def citizen_news_stop(request: HttpRequest, token: str) -> HttpResponse:
    """The link in each news message: a button that ends the news of that appeal (a button, not
    the link itself, so that a mail scanner opening links ends nothing)."""
    if over_limit(request, scope="status", limit=RATE_LIMIT, window=RATE_WINDOW):
        with citizen.citizen_language():
            return TemplateResponse(request, "citizen/limited.html", {}, status=429).render()
    subscription_id = citizen.news_stop_id(token)
    subscription = (
        Subscription.objects.select_related("signal").filter(pk=subscription_id).first()
        if subscription_id is not None else None
    )  # fmt: skip
    stopped = request.method == "POST" and subscription is not None
    if stopped:
        subscription.delete()  # type: ignore[union-attr]
    context = {"subscription": subscription, "stopped": stopped or subscription is None}
    with citizen.citizen_language():
        return TemplateResponse(request, "citizen/news_stop.html", context).render()
