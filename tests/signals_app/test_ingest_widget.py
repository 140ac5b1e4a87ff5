"""The public widget: a form per agency, honeypot, rate limit, photo checks, a number back."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from signals_app.models import Attachment, InboundMessage, Signal
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _limit_key() -> str:
    return "widget:ip:" + hashlib.sha256(b"127.0.0.1").hexdigest()[:32]


@pytest.fixture(autouse=True)
def _fresh_limits(settings, tmp_path):
    # Only this test client's counter: never flush the shared Redis.
    settings.MEDIA_ROOT = tmp_path
    cache.delete(_limit_key())
    yield
    cache.delete(_limit_key())


@pytest.fixture
def widget_source(region):
    return SourceFactory(region=region, slug="widget", channel="widget", secret="")


def url(agency):
    return reverse("widget", args=[agency.pk])


def test_the_form_is_public_embeddable_and_russian(client, agency, widget_source):
    response = client.get(url(agency))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Сообщить о проблеме" in body and agency.name in body
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]


def test_a_message_with_a_photo_becomes_a_signal_of_that_agency(client, agency, widget_source):
    photo = SimpleUploadedFile("yama.png", PNG, content_type="image/png")
    response = client.post(
        url(agency),
        {
            "consent": "on",
            "text": "Яма у подъезда, глубокая",
            "address": "ул. Мира, 3",
            "contact": "+79001112233",
            "photo": photo,
        },
    )
    assert response.status_code == 200
    signal = Signal.objects.get()
    assert signal.number in response.content.decode()
    assert (signal.channel, signal.agency, signal.address) == ("widget", agency, "ул. Мира, 3")
    attachment = Attachment.objects.get(signal=signal)
    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    assert len(attachment.sha256) == 64


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"consent": "on", "text": "коротко"}, "не меньше 10 символов"),
        (
            {
                "text": "Яма у подъезда, глубокая",
                "photo": SimpleUploadedFile("x.png", b"GIF89a....", content_type="image/png"),
            },
            "Только фотографии JPEG и PNG",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(client, agency, widget_source, data, message):
    response = client.post(url(agency), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not InboundMessage.objects.exists()


def test_the_honeypot_swallows_bots(client, agency, widget_source):
    response = client.post(
        url(agency),
        {"consent": "on", "text": "Купите наши окна недорого!", "website": "http://spam"},
    )
    assert response.status_code == 200
    assert not InboundMessage.objects.exists()


def test_too_many_messages_from_one_address_are_refused(client, agency, widget_source):
    for i in range(5):
        assert (
            client.post(
                url(agency), {"consent": "on", "text": f"Проблема номер {i} во дворе"}
            ).status_code
            == 200
        )
    response = client.post(url(agency), {"consent": "on", "text": "Ещё одна проблема во дворе"})
    assert response.status_code == 429
    assert Signal.objects.count() == 5


def test_csrf_is_enforced(agency, widget_source):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(url(agency), {"consent": "on", "text": "Яма у подъезда, глубокая"}).status_code
        == 403
    )
    assert not InboundMessage.objects.exists()


def test_unknown_or_inactive_agency_or_no_widget_source_is_404(
    client, agency, other_agency, widget_source
):
    agency.is_active = False
    agency.save()
    assert client.get(url(agency)).status_code == 404
    widget_source.delete()
    assert client.get(url(other_agency)).status_code == 404


def test_the_same_form_sent_twice_is_one_signal_with_one_number(client, agency, widget_source):
    page = client.get(url(agency)).content.decode()
    import re

    submission = re.search(r'name="submission" value="([0-9a-f]{32})"', page)[1]
    data = {
        "consent": "on",
        "text": "Яма у подъезда, глубокая",
        "address": "ул. Мира, 3",
        "submission": submission,
    }
    first = client.post(url(agency), data)
    again = client.post(url(agency), data)
    signal = Signal.objects.get()
    assert signal.number in first.content.decode() and signal.number in again.content.decode()
    assert not InboundMessage.objects.filter(state="pending").exists()  # never left to a worker
    other = client.get(url(agency)).content.decode()
    assert re.search(r'name="submission" value="([0-9a-f]{32})"', other)[1] != submission


def test_with_the_cache_down_a_report_is_still_accepted(client, agency, widget_source, monkeypatch):
    from signals_app import limits

    class Down:
        def add(self, *args, **kwargs):
            raise ConnectionError("redis is down")

        incr = add

    monkeypatch.setattr(limits, "cache", Down())
    response = client.post(
        url(agency), {"consent": "on", "text": "Яма у подъезда, глубокая", "address": "ул. Мира"}
    )
    assert response.status_code == 200
    assert Signal.objects.get().number in response.content.decode()


def test_nul_in_the_form_is_a_field_error_and_nothing_is_stored(client, agency, widget_source):
    for field in ("text", "address", "name", "contact"):
        data = {"consent": "on", "text": "Яма у подъезда, глубокая", "address": "ул. Мира, 3"}
        data[field] = data.get(field, "Пётр") + "\x00"
        response = client.post(url(agency), data)
        assert response.status_code == 400, field
    assert not InboundMessage.objects.exists()


def test_a_tampered_form_id_is_dropped_not_an_invisible_error(client, agency, widget_source):
    data = {
        "consent": "on",
        "text": "Яма у подъезда, глубокая",
        "address": "ул. Мира",
        "submission": "x' OR 1=1 --",
    }
    response = client.post(url(agency), data)
    assert response.status_code == 200
    assert Signal.objects.get().number in response.content.decode()


def test_personal_data_consent_is_required_named_and_kept_with_the_message(
    client, agency, widget_source
):
    page = client.get(url(agency)).content.decode()
    assert 'name="consent"' in page and "152-ФЗ" in page and "/widget/privacy/" in page
    assert page.count('class="required-mark"') >= 3  # the legend, the text and the consent
    refused = client.post(url(agency), {"text": "Яма у подъезда, глубокая"})
    assert refused.status_code == 400 and "Без согласия" in refused.content.decode()
    assert not InboundMessage.objects.exists()
    assert (
        client.post(url(agency), {"consent": "on", "text": "Яма у подъезда, глубокая"}).status_code
        == 200
    )
    consent = InboundMessage.objects.get().payload["consent"]
    assert consent["given"] is True and consent["version"] and "152-ФЗ" in consent["text"]
    policy = client.get(reverse("widget_privacy"))
    assert (
        policy.status_code == 200
        and "Политика обработки персональных данных" in policy.content.decode()
    )


def test_the_place_comes_from_the_address_else_the_agency_and_the_reason_says_widget(
    client, agency, widget_source, region, municipality
):
    from tests.factories import MunicipalityFactory

    kopeysk = MunicipalityFactory(region=region, name="Копейск", oktmo="75728000")
    client.post(url(agency), {"consent": "on", "text": "Яма у подъезда, глубокая",
                              "address": "г. Копейск, ул. Ленина, 5"})  # fmt: skip
    client.post(url(agency), {"consent": "on", "text": "Не горит фонарь во дворе",
                              "address": "ул. Мира, 3"})  # fmt: skip
    first, second = Signal.objects.order_by("pk")
    assert first.municipality == kopeysk
    assert second.municipality == agency.municipality == municipality
    from signals_app.models import SignalEvent

    routed = SignalEvent.objects.filter(signal=first, kind=SignalEvent.Kind.ROUTED).first()
    assert routed is not None and routed.reason == "Виджет на странице ведомства"
