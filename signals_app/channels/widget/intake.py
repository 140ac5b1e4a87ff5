"""The public "Сообщить о проблеме" widget: a page per agency, embeddable in an iframe."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt

from agencies.models import Agency, Municipality
from signals_app import citizen
from signals_app.channels.payload import clean_text
from signals_app.channels.widget import SPEC
from signals_app.errors import InvalidInput
from signals_app.ingest.process import inbound_accept
from signals_app.limits import over_limit
from signals_app.models import InboundMessage, Signal, Source, Subscription
from signals_app.untrusted import photo_checked

logger = logging.getLogger(__name__)
RATE_LIMIT = 5  # submissions per address
RATE_WINDOW = 600  # seconds
# The widget lives in an iframe on the agency's pages; everything else keeps frame-ancestors 'none'.
WIDGET_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors *; base-uri 'self'; object-src 'none'"
)


class WidgetForm(forms.Form):
    text = forms.CharField(
        label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    contact = forms.CharField(
        label=_("Phone or e-mail for the answer"), max_length=200, required=False
    )
    photo = forms.FileField(label=_("Photo (JPEG or PNG, up to 5 MB)"), required=False)
    # The author's news: a message on each change of the appeal's status page, if asked for.
    news = forms.BooleanField(label=_("Tell me by e-mail of each change"), required=False)
    news_email = forms.EmailField(
        label=_("E-mail for the news (if the contact above is a phone)"), max_length=254,
        required=False,
    )  # fmt: skip
    # 152-FZ: the consent to the processing of personal data, given knowingly (the operator,
    # the purpose and the policy are named beside it) and kept with the message, text and all.
    consent = forms.BooleanField(
        label=_("I agree to the processing of my personal data"),
        error_messages={"required": _("Without the consent the message cannot be accepted.")},
    )
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"})
    )
    # The form's own id, made when it is shown: sent twice (a double click, a retry after a
    # timeout) it is one signal.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean() or {}
        data["news_to"] = ""
        if data.get("news"):
            email = (data.get("news_email") or "").strip()
            contact = (data.get("contact") or "").strip()
            if not email and contact:
                try:
                    validate_email(contact)
                    email = contact
                except forms.ValidationError:
                    pass
            if email:
                data["news_to"] = email.lower()
            else:
                self.add_error("news_email", _("Give an e-mail for the news."))
        return data

    def clean_submission(self) -> str:
        """A form id as we made it, or none (a tampered one is dropped, never an error the
        citizen cannot see or fix)."""
        value = self.cleaned_data.get("submission") or ""
        return value if re.fullmatch(r"[0-9a-f]{32}", value) else ""

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\x00", "").strip()
        if len(text) < 10:
            raise forms.ValidationError(
                _("Describe the problem in a few words (at least 10 characters).")
            )
        return text

    def clean_photo(self):  # type: ignore[no-untyped-def]
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        photo.detected = photo_checked(photo)
        return photo


CONSENT_VERSION = "2026-12-01"


def consent_text(agency: Agency) -> str:
    """The consent as the citizen read it (kept with the message: what was agreed to)."""
    return str(
        _(
            "I agree that %(operator)s (the operator) processes the personal data I give here — "
            "my name, contact and the contents of my message — to consider my message, send it to "
            "the body that must answer, answer me and check the answer, under Federal Law No. "
            "152-FZ «On Personal Data», as its policy says (%(policy)s). The consent lasts until "
            "the message is answered and its storage term ends; I can withdraw it by writing to "
            "the operator. %(retention)s"
        )
        % {"operator": operator_name(agency), "policy": policy_url(),
           "retention": citizen.retention_words(agency.region_id)}
    )  # fmt: skip


def operator_name(agency: Agency) -> str:
    return settings.PERSONAL_DATA_OPERATOR or str(
        _("the regional control centre of %(region)s") % {"region": agency.region.name}
    )


def policy_url() -> str:
    return settings.PERSONAL_DATA_POLICY_URL or reverse("widget_privacy")


def municipality_of(agency: Agency, address: str) -> Municipality | None:
    """Where the problem is: a municipality of the region named in the address (the longest
    name found wins: «Копейский городской округ» over «Копейск»), else the agency's own."""
    text = address.casefold().replace("ё", "е")
    if text:
        named = [
            place for place in Municipality.objects.filter(region_id=agency.region_id)
            if len(place.name) >= 4 and place.name.casefold().replace("ё", "е") in text
        ]  # fmt: skip
        if named:
            return max(named, key=lambda place: len(place.name))
    return agency.municipality


def widget_privacy(request: HttpRequest) -> HttpResponse:
    """The personal data policy the widget links to (unless the centre names its own)."""
    return _render(request, "signals_app/widget_privacy.html", {
        "operator": settings.PERSONAL_DATA_OPERATOR, "version": CONSENT_VERSION,
    })  # fmt: skip


def _rate_limited(request: HttpRequest) -> bool:
    return over_limit(request, scope="widget", limit=RATE_LIMIT, window=RATE_WINDOW)


def _widget_source(agency: Agency) -> Source | None:
    sources = Source.objects.filter(region_id=agency.region_id, channel=SPEC.code, is_active=True)
    return sources.filter(agency=agency).first() or sources.filter(agency__isnull=True).first()


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = TemplateResponse(request, template, context, status=status)
    response["Content-Security-Policy"] = WIDGET_CSP
    return response


def _form_context(agency: Agency, form: WidgetForm) -> dict:
    return {"agency": agency, "form": form, "consent_text": consent_text(agency),
            "operator": operator_name(agency), "policy_url": policy_url(),
            "retention": citizen.retention_words(agency.region_id)}  # fmt: skip


@xframe_options_exempt
def widget(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = Agency.objects.filter(pk=agency_id, is_active=True).first()
    source = _widget_source(agency) if agency else None
    if agency is None or source is None:
        raise Http404
    if request.method != "POST":
        form = WidgetForm(initial={"submission": uuid.uuid4().hex})
        return _render(request, "signals_app/widget_form.html", _form_context(agency, form))
    if _rate_limited(request):
        return _render(
            request,
            "signals_app/widget_form.html",
            _form_context(agency, WidgetForm(request.POST)) | {"limited": True},
            429,
        )
    form = WidgetForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, "signals_app/widget_form.html", _form_context(agency, form), 400)
    if form.cleaned_data["website"]:
        # A bot: thank it and keep nothing.
        return _render(request, "signals_app/widget_done.html", {"agency": agency, "number": None})
    external_id = f"widget-{form.cleaned_data['submission'] or uuid.uuid4().hex}"
    earlier = (
        InboundMessage.objects.filter(source=source, external_id=external_id)
        .select_related("signal")
        .first()
    )
    if earlier is not None:  # sent again: the first one's answer, and no second photo kept
        return _receipt(request, agency, earlier.signal)
    place = municipality_of(agency, form.cleaned_data["address"])
    payload: dict = {
        "external_id": external_id,
        "text": form.cleaned_data["text"],
        "posted_at": timezone.now().isoformat(),
        "address": form.cleaned_data["address"],
        "municipality": place.oktmo if place is not None and place.oktmo else "",
        "author": {"name": form.cleaned_data["name"], "phone": form.cleaned_data["contact"]},
        "agency_id": agency.pk,
        "consent": {
            "given": True,
            "at": timezone.now().isoformat(),
            "version": CONSENT_VERSION,
            "text": consent_text(agency),
        },
    }
    photo = form.cleaned_data.get("photo")
    if photo is not None:
        extension, content_type = photo.detected
        content = photo.read()
        path = default_storage.save(
            f"widget/{timezone.now():%Y/%m}/{external_id}.{extension}", photo
        )
        payload["files"] = [
            {"path": path, "name": photo.name[:300], "content_type": content_type, "size": len(content),
             "sha256": hashlib.sha256(content).hexdigest()}
        ]  # fmt: skip
    from signals_app.workflow.services import signal_subscribe

    with transaction.atomic():
        accepted = inbound_accept(source=source, external_id=external_id, payload=payload)
        if accepted.created and accepted.signal is not None and form.cleaned_data["news_to"]:
            signal_subscribe(signal=accepted.signal, email=form.cleaned_data["news_to"],
                             consent=payload["consent"], scope=Subscription.Scope.AUTHOR)  # fmt: skip
    return _receipt(request, agency, accepted.signal)


def _receipt(request: HttpRequest, agency: Agency, signal: Signal | None) -> HttpResponse:
    """The number, and the link to the signal's status page (where its survey will wait)."""
    return _render(request, "signals_app/widget_done.html", {
        "agency": agency, "number": signal.number if signal else None,
        "status_url": citizen.status_url(signal) if signal else "",
        "news": signal is not None
        and signal.subscriptions.filter(scope=Subscription.Scope.AUTHOR).exists(),
        "telegram_news": citizen.telegram_news_link(signal) if signal else "",
    })  # fmt: skip


# --- duplicates at the door ------------------------------------------------------------------

SIMILAR_LIMIT = 120  # look-ups per address per RATE_WINDOW (one per pause in typing)
SIMILAR_DAYS = 90
SIMILAR_SHOWN = 5
# The typed text's meaningful words, any of them; a signal is similar when it shares at least
# two of them and half of what was typed.
_SIMILAR_SQL = """
WITH typed AS (
    SELECT array(SELECT DISTINCT lexeme FROM unnest(to_tsvector('russian', %s))) AS words
)
SELECT s.id FROM signals_app_signal s, typed
 WHERE s.region_id = %s AND s.status = ANY(%s) AND s.parent_id IS NULL
   AND s.received_at >= %s AND s.municipality_id = %s
   AND cardinality(typed.words) > 0
   AND s.search_vector @@ to_tsquery('russian', array_to_string(typed.words, ' | '))
   AND (SELECT count(*) FROM unnest(tsvector_to_array(s.search_vector)) w
         WHERE w = ANY(typed.words)) >= greatest(2, ceil(cardinality(typed.words) / 2.0))
 ORDER BY ts_rank_cd(s.search_vector, to_tsquery('russian', array_to_string(typed.words, ' | ')))
          DESC, s.received_at DESC
 LIMIT %s
"""


def similar_open_signals(agency: Agency, text: str, address: str) -> list[Signal]:
    """Open signals of the same municipality with a text like the one being typed (the
    newest 90 days; no personal data is read out of them)."""
    from django.db import connection

    from signals_app.choices import OPEN_STATUSES

    text = text.strip()[:2000]
    place = municipality_of(agency, address)
    if len(text) < 15 or place is None:
        return []
    since = timezone.now() - timedelta(days=SIMILAR_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(_SIMILAR_SQL, [text, agency.region_id, list(OPEN_STATUSES), since,
                                      place.pk, SIMILAR_SHOWN])  # fmt: skip
        ids = [row[0] for row in cursor.fetchall()]
    found = Signal.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def widget_similar(request: HttpRequest, agency_id: int) -> HttpResponse:
    """The fragment the form shows while the citizen types: the same problem, reported
    already? Its number, status and first line only."""
    agency = Agency.objects.filter(pk=agency_id, is_active=True).select_related("region").first()
    if agency is None or _widget_source(agency) is None:
        raise Http404
    if over_limit(request, scope="similar", limit=SIMILAR_LIMIT, window=RATE_WINDOW):
        return HttpResponse(status=429)
    # Typed text, never trusted: NUL bytes (which PostgreSQL refuses) go, the length is capped.
    text = clean_text(request.GET.get("text", ""), limit=2000)
    address = clean_text(request.GET.get("address", ""), limit=500)
    found = similar_open_signals(agency, text, address)
    rows = [{"signal": signal, "line": citizen.first_line(signal.text)[:200],
             "status": citizen.plain_status(signal)} for signal in found]  # fmt: skip
    return _render(request, "signals_app/_widget_similar.html", {"agency": agency, "rows": rows})


class SubscribeForm(forms.Form):
    number = forms.CharField(max_length=20)
    email = forms.EmailField(label=_("E-mail for the news"), max_length=254)
    consent = forms.BooleanField(
        label=_("I agree to the processing of my personal data"),
        error_messages={"required": _("Without the consent the message cannot be accepted.")},
    )


@xframe_options_exempt
def widget_subscribe(request: HttpRequest, agency_id: int) -> HttpResponse:
    """«Это моя проблема — подписаться»: follow the signal found instead of filing again."""
    from signals_app.workflow.services import signal_subscribe

    agency = Agency.objects.filter(pk=agency_id, is_active=True).select_related("region").first()
    if agency is None or _widget_source(agency) is None or request.method != "POST":
        raise Http404
    if _rate_limited(request):
        return _render(request, "signals_app/widget_subscribed.html",
                       {"agency": agency, "limited": True}, 429)  # fmt: skip
    form = SubscribeForm(request.POST)
    signal = None
    if form.is_valid():
        signal = Signal.objects.filter(
            number=form.cleaned_data["number"], region_id=agency.region_id
        ).first()
    if signal is None:
        return _render(request, "signals_app/widget_subscribed.html",
                       {"agency": agency, "form": form, "failed": True}, 400)  # fmt: skip
    consent = {"given": True, "at": timezone.now().isoformat(), "version": CONSENT_VERSION,
               "text": consent_text(agency)}  # fmt: skip
    try:
        signal_subscribe(signal=signal, email=form.cleaned_data["email"], consent=consent)
    except InvalidInput:
        return _render(request, "signals_app/widget_subscribed.html",
                       {"agency": agency, "failed": True}, 400)  # fmt: skip
    return _render(request, "signals_app/widget_subscribed.html", {
        "agency": agency, "number": signal.number, "status_url": citizen.status_url(signal),
    })  # fmt: skip


urlpatterns = [
    path("widget/<int:agency_id>/", widget, name="widget"),
    path("widget/<int:agency_id>/similar/", widget_similar, name="widget_similar"),
    path("widget/<int:agency_id>/subscribe/", widget_subscribe, name="widget_subscribe"),
    path("widget/privacy/", widget_privacy, name="widget_privacy"),
]
