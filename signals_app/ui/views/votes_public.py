"""«Высказать мнение» for residents (no login to read): the region's campaign, a municipality's
ballot with photos, an object's page with its implementation, the vote itself after
verification (Gosuslugi through OpenID Connect, or a one-time code by SMS), the results once
they may be shown. Phone-first, plain HTML forms that work without JavaScript.

Verification lives in the session for `VERIFIED_FOR` seconds and ends with the vote: on a
shared device (a volunteer's tablet, a polling point) the next resident verifies anew. With a
helper signed in and «assisting» on, the vote records them and the origin they chose.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import Municipality
from signals_app.limits import client_address, over_limit
from signals_app.votes import identity, rights, selectors, services
from signals_app.votes.models import Campaign, Participation, Phase, Vote, VoteObject

logger = logging.getLogger(__name__)

VERIFIED_FOR = 30 * 60
SESSION_VERIFIED = "vote_verified"
SESSION_ASSIST = "vote_assist"
SESSION_NEXT = "vote_next"
DEVICE_COOKIE = "vote_device"
CODE_LIMIT, CODE_WINDOW = 10, 600  # codes asked per address
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self' {provider}; frame-ancestors {ancestors}; base-uri 'self'; "
    "object-src 'none'"
)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200,
            *, framed: bool = False) -> HttpResponse:  # fmt: skip
    response = TemplateResponse(request, template, context, status=status)
    provider = urlsplit(settings.VOTE_OIDC_DISCOVERY_URL)
    origin = f"{provider.scheme}://{provider.netloc}" if provider.netloc else ""
    response["Content-Security-Policy"] = CSP.format(
        provider=origin, ancestors="*" if framed else "'none'"
    )
    return response


def _place(campaign_id: int, municipality_id: int) -> tuple[Campaign, Municipality]:
    participation = get_object_or_404(
        Participation.objects.select_related("campaign__region", "municipality__region"),
        campaign_id=campaign_id, municipality_id=municipality_id,
        campaign__phase__in=selectors.PUBLIC_PHASES,
    )  # fmt: skip
    return participation.campaign, participation.municipality


_PLACES: dict[tuple[int, int], tuple[float, Campaign, Municipality]] = {}
PLACE_SECONDS = 30


def _cast_place(campaign_id: int, municipality_id: int) -> tuple[Campaign, Municipality]:
    """`_place` for the vote itself, kept in the process for `PLACE_SECONDS`: on voting day
    every vote would read the same rows. What may change meanwhile is checked again where it
    counts — the phase and the ballot in the statement that reads the chosen objects."""
    key = (campaign_id, municipality_id)
    found = _PLACES.get(key)
    if found is not None and found[0] > time.monotonic():
        return found[1], found[2]
    campaign, municipality = _place(campaign_id, municipality_id)
    if len(_PLACES) > 10_000:
        _PLACES.clear()
    _PLACES[key] = (time.monotonic() + PLACE_SECONDS, campaign, municipality)
    return campaign, municipality


def verified_of(request: HttpRequest) -> identity.Verified | None:
    stored = request.session.get(SESSION_VERIFIED)
    if not isinstance(stored, dict) or time.time() - stored.get("at", 0) > VERIFIED_FOR:
        return None
    return identity.Verified(stored["identity"], stored["method"], stored.get("birthdate", ""),
                             stored.get("oktmo", ""))  # fmt: skip


def _keep_verified(request: HttpRequest, verified: identity.Verified) -> None:
    request.session.cycle_key()  # a new session for the verified resident
    request.session[SESSION_VERIFIED] = {**verified.as_session(), "at": time.time()}


def assisting(request: HttpRequest, campaign: Campaign) -> str:
    """The origin a signed-in helper records votes with ("" when not assisting)."""
    origin = request.session.get(SESSION_ASSIST, "")
    if origin not in (Vote.Origin.VOLUNTEER, Vote.Origin.POINT):
        return ""
    allowed = rights.allowed("assist", user=request.user, region_id=campaign.region_id)
    return origin if allowed else ""


# --- reading ---------------------------------------------------------------------------------


def vote_region(request: HttpRequest, region_code: str) -> HttpResponse:
    campaign = selectors.campaigns_public(region_code).select_related("region").first()
    if campaign is None:
        raise Http404
    places = campaign.participations.select_related("municipality").order_by("municipality__name")
    return _render(request, "votes/region.html", {"campaign": campaign, "places": places})


def _choices(request: HttpRequest) -> list[int] | None:
    """The objects ticked on the ballot (ids), or None when the form was tampered with."""
    try:
        chosen = [int(value) for value in request.POST.getlist("choice")]
    except ValueError:
        return None
    return chosen if 0 < len(chosen) <= 10 else None


def _ballot_context(request: HttpRequest, campaign: Campaign, municipality: Municipality,
                    **extra: Any) -> dict[str, Any]:  # fmt: skip
    objects = selectors.ballot(campaign, municipality)
    shown = selectors.tallies_visible(campaign)
    return {
        "campaign": campaign, "municipality": municipality, "objects": objects,
        "open": services.is_open(campaign, municipality),
        "opens_closes": services.window(campaign, municipality),
        "verified": verified_of(request), "assisting": assisting(request, campaign),
        "results": selectors.results(campaign, municipality)[0] if shown else None,
        "oidc": identity.oidc_enabled(), "phone": settings.VOTE_PHONE_CODES,
        **extra,
    }  # fmt: skip


def vote_ballot(request: HttpRequest, campaign_id: int, municipality_id: int) -> HttpResponse:
    campaign, municipality = _place(campaign_id, municipality_id)
    response = _render(request, "votes/ballot.html",
                       _ballot_context(request, campaign, municipality))  # fmt: skip
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(DEVICE_COOKIE, secrets.token_hex(16), max_age=400 * 86400,
                            httponly=True, samesite="Lax", secure=request.is_secure())  # fmt: skip
    return response


@xframe_options_exempt
def vote_widget(request: HttpRequest, campaign_id: int, municipality_id: int) -> HttpResponse:
    """The ballot for an official page's iframe: the objects and a button that opens the vote
    in its own window (Gosuslugi's sign-in is never framed)."""
    campaign, municipality = _place(campaign_id, municipality_id)
    context = _ballot_context(request, campaign, municipality)
    return _render(request, "votes/widget.html", context, framed=True)


def vote_object(request: HttpRequest, object_id: int) -> HttpResponse:
    item = get_object_or_404(
        VoteObject.objects.select_related("campaign", "municipality", "agency"),
        pk=object_id, campaign__phase__in=selectors.PUBLIC_PHASES,
    )  # fmt: skip
    [found] = [entry for entry in selectors.ballot(item.campaign, item.municipality)
               if entry.pk == item.pk] or [None]  # fmt: skip
    if found is None:
        raise Http404
    published = item.campaign.phase in (Phase.PUBLISHED, Phase.IMPLEMENTATION)
    return _render(request, "votes/object.html",
                   {"item": found, "campaign": item.campaign, "show_winner": published})  # fmt: skip


# --- verification ----------------------------------------------------------------------------


def _ballot_url(campaign: Campaign, municipality: Municipality) -> str:
    return reverse("vote_ballot", args=[campaign.pk, municipality.pk])


def vote_verify_start(request: HttpRequest, campaign_id: int, municipality_id: int) -> HttpResponse:
    campaign, municipality = _place(campaign_id, municipality_id)
    if not identity.oidc_enabled():
        raise Http404
    request.session[SESSION_NEXT] = _ballot_url(campaign, municipality)
    try:
        return identity.oidc_client().authorize_redirect(
            request, request.build_absolute_uri(reverse("vote_verify_oidc"))
        )
    except Exception as error:  # the provider is away: say so, never a 500
        logger.warning("vote_oidc_unavailable error=%s", type(error).__name__)
        context = _ballot_context(request, campaign, municipality,
                                  problem=_("Gosuslugi do not answer now; try again later."))  # fmt: skip
        return _render(request, "votes/ballot.html", context, 503)


def vote_verify_oidc(request: HttpRequest) -> HttpResponse:
    """The provider's callback: the code exchanged, the ID token checked (signature, issuer,
    audience, nonce), the resident kept in the session as a keyed hash."""
    back = request.session.get(SESSION_NEXT) or "/"
    if not identity.oidc_enabled():
        raise Http404
    try:
        token = identity.oidc_client().authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("no ID token")
        verified = identity.oidc_verified(dict(claims))
    except Exception as error:  # a forged, replayed or refused sign-in
        logger.warning("vote_oidc_refused error=%s", type(error).__name__)
        return _render(request, "votes/verify_failed.html", {"back": back}, 400)
    _keep_verified(request, verified)
    return redirect(back)


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=30)
    code = forms.CharField(label=gettext_lazy("Code from the SMS"), max_length=12, required=False)


@require_http_methods(["GET", "POST"])
def vote_verify_phone(request: HttpRequest, campaign_id: int, municipality_id: int) -> HttpResponse:
    campaign, municipality = _place(campaign_id, municipality_id)
    if not settings.VOTE_PHONE_CODES:
        raise Http404
    context: dict[str, Any] = {"campaign": campaign, "municipality": municipality}
    if request.method != "POST":
        return _render(request, "votes/verify_phone.html", context | {"form": PhoneForm()})
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _render(request, "votes/verify_phone.html", context | {"form": form}, 400)
    phone, code = form.cleaned_data["phone"], form.cleaned_data["code"].strip()
    if not code:
        if over_limit(request, scope="vote-code", limit=CODE_LIMIT, window=CODE_WINDOW):
            problem = _("Too many codes from your address; try again in ten minutes.")
            return _render(request, "votes/verify_phone.html",
                           context | {"form": form, "problem": problem}, 429)  # fmt: skip
        problem = identity.code_send(phone)
        return _render(request, "votes/verify_phone.html",
                       context | {"form": form, "problem": problem, "sent": not problem},
                       400 if problem else 200)  # fmt: skip
    verified = identity.code_check(phone, code)
    if verified is None:
        problem = _("The code is wrong or has expired; ask for a new one.")
        return _render(request, "votes/verify_phone.html",
                       context | {"form": form, "problem": problem, "sent": True}, 400)  # fmt: skip
    _keep_verified(request, verified)
    return redirect(_ballot_url(campaign, municipality))


# --- the vote --------------------------------------------------------------------------------


@require_POST
def vote_cast(request: HttpRequest, campaign_id: int, municipality_id: int) -> HttpResponse:
    campaign, municipality = _cast_place(campaign_id, municipality_id)
    verified = verified_of(request)
    chosen = _choices(request)
    if verified is None:
        context = _ballot_context(request, campaign, municipality,
                                  problem=_("Confirm who you are first."))  # fmt: skip
        return _render(request, "votes/ballot.html", context, 403)
    if chosen is None:
        context = _ballot_context(request, campaign, municipality,
                                  problem=_("Choose an object of the ballot."))  # fmt: skip
        return _render(request, "votes/ballot.html", context, 400)
    origin = assisting(request, campaign) or Vote.Origin.WEB
    cast = services.vote_cast(
        campaign=campaign, verified=verified, municipality=municipality,
        objects=chosen, declared_adult=request.POST.get("adult") == "on",
        origin=origin, helper=request.user if origin != Vote.Origin.WEB else None,
        address=identity.address_hash(client_address(request)),
        device=identity.device_hash(request.COOKIES.get(DEVICE_COOKIE, "")),
    )  # fmt: skip
    if not cast.recorded:
        context = _ballot_context(request, campaign, municipality, problem=cast.message)
        return _render(request, "votes/ballot.html", context, 409)
    request.session.pop(SESSION_VERIFIED, None)  # the next resident on this device verifies anew
    return _render(request, "votes/done.html", {
        "campaign": campaign, "municipality": municipality, "chosen": cast.names,
        "changed": cast.changed, "assisted": origin != Vote.Origin.WEB,
    })  # fmt: skip


urlpatterns = [
    path("vote/r/<str:region_code>/", vote_region, name="vote_region"),
    path("vote/<int:campaign_id>/<int:municipality_id>/", vote_ballot, name="vote_ballot"),
    path("vote/<int:campaign_id>/<int:municipality_id>/widget/", vote_widget, name="vote_widget"),
    path("vote/<int:campaign_id>/<int:municipality_id>/cast/", vote_cast, name="vote_cast"),
    path(
        "vote/<int:campaign_id>/<int:municipality_id>/verify/",
        vote_verify_start,
        name="vote_verify_start",
    ),
    path(
        "vote/<int:campaign_id>/<int:municipality_id>/phone/",
        vote_verify_phone,
        name="vote_verify_phone",
    ),
    path("vote/object/<int:object_id>/", vote_object, name="vote_object"),
    path("vote/verify/oidc/", vote_verify_oidc, name="vote_verify_oidc"),
]
