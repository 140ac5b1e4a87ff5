# ruff: noqa: F811 — the stand-in fixture is imported from the outbound tests
"""Calls and visits registered on the fast form: who may, what the signal gets (its channel,
deadlines, route, the registering staff member), one signal for a form sent twice, and the way
back by the contact given — e-mail, SMS through a gateway, or a task to call back."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.urls import reverse

from signals_app import contacts
from signals_app.channels.phone.normalise import outcome, registered_by_token
from signals_app.choices import Status
from signals_app.models import InboundMessage, Reply, Signal, SignalEvent
from signals_app.outbound.models import OutboxState, ReplyDelivery
from signals_app.sla.defaults import sla_defaults_install
from tests.signals_app.helpers import drive
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db
NOW = "2026-12-07 11:00 +05:00"
URL = reverse("signals_app:signal_register")


@pytest.fixture(autouse=True)
def policies(region):
    sla_defaults_install(region=region)


def form(municipality, **changes):  # type: ignore[no-untyped-def]
    data = {
        "channel": "phone", "received_at": "2026-12-07T10:40",
        "text": "Звонок: во дворе дома 3 по ул. Мира прорвало трубу, вода заливает подвал.",
        "address": "ул. Мира, 3", "municipality": municipality.pk, "author_name": "Петрова Нина",
        "phone": "8 (900) 123-45-67", "email": "", "consent": "on",
        "form_id": str(uuid.uuid4()),
    }  # fmt: skip
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@time_machine.travel(NOW, tick=False)
def test_an_analyst_registers_a_call_that_gets_its_route_deadlines_and_author(
    client, analyst, agency, municipality, category
):
    client.force_login(analyst)
    page = client.get(URL)
    assert page.status_code == 200 and "Зарегистрировать обращение" in page.content.decode()
    sent = form(municipality, agency=agency.pk, category=category.pk)
    response = client.post(URL, sent)
    signal = Signal.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{signal.number}/")
    assert (signal.channel, signal.agency, signal.category) == ("phone", agency, category)
    assert signal.status == Status.IN_PROGRESS and signal.municipality == municipality
    assert (signal.author_name, signal.author_contact) == ("Петрова Нина", "8 (900) 123-45-67")
    assert signal.posted_at.isoformat().startswith("2026-12-07T05:40")  # 10:40 local, in UTC
    assert signal.sla_version.policy.name == "Прочие каналы"
    created = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CREATED)
    assert created.actor_id == analyst.pk  # who took the call
    routed = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.ROUTED)
    assert routed.reason == "Выбрано при регистрации обращения"
    consent = InboundMessage.objects.get(signal=signal).payload["consent"]
    assert consent["given"] is True

    # The same form again (a double click): the same signal.
    again = client.post(URL, sent)
    assert again.status_code == 302 and Signal.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_visit_is_an_oral_appeal_under_59_fz(client, analyst, municipality):
    client.force_login(analyst)
    client.post(URL, form(municipality, channel="visit", phone="", email="nina@example.org"))
    signal = Signal.objects.get()
    assert signal.channel == "visit" and signal.sla_version.policy.name == "Обращения по 59-ФЗ"


@time_machine.travel(NOW, tick=False)
def test_refusals_say_what_to_fix_and_make_nothing(
    client, analyst, executor, supervisor, agency, other_agency, municipality
):
    client.force_login(analyst)
    no_consent = client.post(URL, form(municipality, consent=None))
    assert no_consent.status_code == 400
    assert "согласие" in no_consent.content.decode()
    future = client.post(URL, form(municipality, received_at="2026-12-08T10:00"))
    assert future.status_code == 400 and "в будущем" in future.content.decode()
    empty = client.post(URL, form(municipality, text="   "))
    assert empty.status_code == 400
    assert Signal.objects.count() == 0 and InboundMessage.objects.count() == 0

    client.force_login(executor)  # agency staff: their own agency only
    assert client.post(URL, form(municipality)).status_code == 400  # the agency is required
    assert client.post(URL, form(municipality, agency=other_agency.pk)).status_code == 400
    mine = client.post(URL, form(municipality, agency=agency.pk))
    assert mine.status_code == 302 and Signal.objects.get().agency == agency

    client.force_login(supervisor)  # supervisors read; they register nothing
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(municipality)).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_answer_to_a_caller_without_e_mail_is_a_task_to_call_back_or_an_sms(
    client, analyst, executor, agency, municipality, standin, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        client.force_login(analyst)
        client.post(URL, form(municipality, agency=agency.pk))
        first = Signal.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            drive(first, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
        delivery = ReplyDelivery.objects.get(signal=first, reply__kind=Reply.Kind.FINAL)
        assert delivery.state == OutboxState.SKIPPED
        assert "Позвоните гражданину по номеру +79001234567" in delivery.last_error

        settings.SMS_BACKEND = "signals_app.channels.phone.sms.HttpGateway"
        settings.SMS_GATEWAY_URL = standin.url + "/sms/send"
        settings.SMS_GATEWAY_TOKEN = "sms-token"
        client.post(URL, form(municipality, agency=agency.pk, text="Не горит фонарь у дома 5."))
        second = Signal.objects.exclude(pk=first.pk).get()
        with django_capture_on_commit_callbacks(execute=True):
            drive(second, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
        sent = ReplyDelivery.objects.get(signal=second, reply__kind=Reply.Kind.FINAL)
        assert sent.state == OutboxState.DELIVERED and sent.method == "phone.sms"
        [call] = [item for item in standin.of("sms") if item.body["text"] == "Работы выполнены."]
        assert call.body["to"] == "+79001234567" and call.body["id"] == sent.key
        assert call.headers["authorization"] == "Bearer sms-token"
    finally:
        app.conf.task_always_eager = False


def test_only_the_form_names_who_registered_a_signal():
    item = {"text": "Звонок", "registered_by": registered_by_token("form:1", 7)}
    assert outcome(item, "form:1").data.registered_by == 7
    assert outcome(item, "form:2").data.registered_by is None  # moved to another message
    forged = item | {"registered_by": "form:1|7:forged-signature"}
    assert outcome(forged, "form:1").data.registered_by is None
    assert outcome({"text": "x", "registered_by": 7}, "a").data.registered_by is None


def test_contacts_are_read_in_any_spelling():
    assert contacts.phone_in("8 (900) 123-45-67") == "+79001234567"
    assert contacts.phone_in("+7 900 123 45 67, nina@example.org") == "+79001234567"
    assert contacts.email_in("+7 900 123 45 67, nina@example.org") == "nina@example.org"
    assert contacts.email_in("nina@") == "" and contacts.phone_in("nina@example.org") == ""
    assert contacts.phone_in("+44 20 7946 0958") == "+442079460958"
    assert contacts.digits("+7 (900) 123-45-67") == contacts.digits("89001234567")
