"""The public "Сообщить о проблеме" widget: a page per agency, embeddable in an iframe."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid

from django import forms
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt

from agencies.models import Agency
from signals_app.channels.widget import SPEC
from signals_app.ingest.process import inbound_accept
from signals_app.models import InboundMessage, Source

logger = logging.getLogger(__name__)
MAX_PHOTO = 5 * 1024 * 1024
PHOTO_SIGNATURES = {
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}
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
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"})
    )
    # The form's own id, made when it is shown: sent twice (a double click, a retry after a
    # timeout) it is one signal.
    submission = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

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
        if photo.size > MAX_PHOTO:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        head = photo.read(16)
        photo.seek(0)
        for signature, kind in PHOTO_SIGNATURES.items():
            if head.startswith(signature):
                photo.detected = kind
                return photo
        raise forms.ValidationError(_("Only JPEG and PNG photos are accepted."))


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_limited(request: HttpRequest) -> bool:
    """Over the limit per address. With the cache (Redis) away the report is let through and
    the outage logged: a citizen's report is worth more than the limit."""
    key = "widget:ip:" + hashlib.sha256(_client_ip(request).encode()).hexdigest()[:32]
    try:
        if cache.add(key, 1, RATE_WINDOW):
            return False
        try:
            return cache.incr(key) > RATE_LIMIT
        except ValueError:  # expired between add and incr
            cache.add(key, 1, RATE_WINDOW)
            return False
    except Exception as error:  # the cache is down, not the intake
        logger.warning("widget_rate_limit_unavailable error=%s", type(error).__name__)
        return False


def _widget_source(agency: Agency) -> Source | None:
    sources = Source.objects.filter(region_id=agency.region_id, channel=SPEC.code, is_active=True)
    return sources.filter(agency=agency).first() or sources.filter(agency__isnull=True).first()


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = TemplateResponse(request, template, context, status=status)
    response["Content-Security-Policy"] = WIDGET_CSP
    return response


@xframe_options_exempt
def widget(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = Agency.objects.filter(pk=agency_id, is_active=True).first()
    source = _widget_source(agency) if agency else None
    if agency is None or source is None:
        raise Http404
    if request.method != "POST":
        form = WidgetForm(initial={"submission": uuid.uuid4().hex})
        return _render(request, "signals_app/widget_form.html", {"agency": agency, "form": form})
    if _rate_limited(request):
        return _render(
            request,
            "signals_app/widget_form.html",
            {"agency": agency, "form": WidgetForm(request.POST), "limited": True},
            429,
        )
    form = WidgetForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(
            request, "signals_app/widget_form.html", {"agency": agency, "form": form}, 400
        )
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
        number = earlier.signal.number if earlier.signal else None
        return _render(
            request, "signals_app/widget_done.html", {"agency": agency, "number": number}
        )
    payload: dict = {
        "external_id": external_id,
        "text": form.cleaned_data["text"],
        "posted_at": timezone.now().isoformat(),
        "address": form.cleaned_data["address"],
        "author": {"name": form.cleaned_data["name"], "phone": form.cleaned_data["contact"]},
        "agency_id": agency.pk,
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
    accepted = inbound_accept(source=source, external_id=external_id, payload=payload)
    signal = accepted.signal
    return _render(
        request,
        "signals_app/widget_done.html",
        {"agency": agency, "number": signal.number if signal else None},
    )


urlpatterns = [path("widget/<int:agency_id>/", widget, name="widget")]
