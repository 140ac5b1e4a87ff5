"""The user's page of personal API tokens: make one (shown once), see them, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from agencies.models import ApiToken
from agencies.services import TOKEN_MAX_DAYS, api_token_create, api_token_revoke

SHOWN_ONCE = "api_token_shown_once"


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("Where the token is used, e.g. «BI export».")
    )
    days = forms.IntegerField(
        label=_("Valid for, days"), min_value=1, max_value=TOKEN_MAX_DAYS, initial=90
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = api_token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            # Kept in the session for the one page view after the redirect, then dropped.
            request.session[SHOWN_ONCE] = raw
            return redirect("api_tokens")
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id"),
        "new_token": request.session.pop(SHOWN_ONCE, None),
    }
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "signals_app/api_tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token is revoked: it no longer opens the API."))
    return redirect("api_tokens")
