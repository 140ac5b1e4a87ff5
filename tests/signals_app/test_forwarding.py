# ruff: noqa: F811 — the fixtures below are imported from the mail servers and the e-mail tests
"""Outside bodies: a signal forwarded by e-mail (a real SMTP server) with a tracking address;
the organisation's answer read from a real IMAP mailbox lands in the signal's timeline; a late
answer is told once; the refusals, the page and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from signals_app.channels.email.poll import mailbox_poll
from signals_app.choices import Status
from signals_app.contacts import tracking_key
from signals_app.models import (
    Forward,
    InboundMessage,
    Notification,
    OutsideBody,
    Signal,
    SignalEvent,
)
from signals_app.workflow import services
from signals_app.workflow.services.outside import forwards_overdue_tell
from tests.factories import SignalFactory
from tests.mail_servers import imap, imap_server, smtp  # noqa: F401 — fixtures
from tests.signals_app.helpers import drive
from tests.signals_app.test_email_channel import letter, mailbox, ready  # noqa: F401

pytestmark = pytest.mark.django_db
NOW = "2026-12-07 10:00 +05:00"


@pytest.fixture
def body(region):
    return OutsideBody.objects.create(
        region=region, name="УК «Жилсервис»", kind=OutsideBody.Kind.MANAGEMENT,
        email="dispatch@zhilservis.example.ru",
    )  # fmt: skip


@pytest.fixture
def working(region, agency, analyst, executor):
    signal = SignalFactory(region=region, text="В подъезде дома 7 не работает лифт.",
                           author_name="Сидоров Иван", author_contact="ivan@example.net",
                           address="ул. Мира, 7")  # fmt: skip
    return drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)


def forward_on_page(client, signal, body, **extra):  # type: ignore[no-untyped-def]
    url = reverse("signals_app:signal_action", args=[signal.number, "forward"])
    return client.post(url, {"version": signal.version, "body": body.pk, **extra})


@time_machine.travel(NOW, tick=True)
def test_a_forward_leaves_with_a_tracking_address_and_the_answer_lands_in_the_timeline(
    client, mailbox, imap, smtp, ready, working, body, executor, analyst,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[working.number]))
    assert "Передать во внешнюю организацию" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = forward_on_page(client, working, body, note="Просим устранить.")
    assert response.status_code == 302
    forward = Forward.objects.get()
    assert forward.due_at - forward.forwarded_at == timedelta(days=7)
    [sent] = smtp.received
    assert smtp.envelopes[0][1] == ["dispatch@zhilservis.example.ru"]
    assert str(sent["Reply-To"]) == f"cur+fw-{forward.token}@example.org"
    assert str(sent["From"]) == "cur@example.org"
    assert working.number in str(sent["Subject"])
    text = sent.get_content()
    assert "Просим устранить." in text and "не работает лифт" in text and "ул. Мира, 7" in text
    assert "Сидоров" not in text and "ivan@example.net" not in text  # not passed on unless chosen
    assert SignalEvent.objects.filter(signal=working, kind=SignalEvent.Kind.FORWARDED).exists()

    # The organisation answers to the tracking address, quoting our letter.
    answer = letter("Лифт отремонтирован 08.12, акт приложен.\n\n> Обращение переадресовано",
                    subject="Re: " + str(sent["Subject"]), sender="УК <dispatch@zhilservis.example.ru>",
                    headers={"In-Reply-To": str(sent["Message-ID"])},
                    files=[("акт.pdf", b"%PDF-1.4 act", "application/pdf")])  # fmt: skip
    answer.replace_header("To", f"cur+fw-{forward.token}@example.org")
    imap.deliver(answer.as_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll(mailbox)
    assert Signal.objects.count() == 1  # the answer is not a new signal
    forward.refresh_from_db()
    assert forward.state == Forward.State.ANSWERED
    assert forward.answer == "Лифт отремонтирован 08.12, акт приложен."
    answered = SignalEvent.objects.get(signal=working, kind=SignalEvent.Kind.FORWARD_ANSWERED)
    assert answered.reason == forward.answer
    assert working.attachments.get().name == "акт.pdf"
    assert Notification.objects.filter(kind="forward_answered", user=executor).exists() is False
    assert Notification.objects.filter(kind="forward_answered").exists()
    shown = client.get(reverse("signals_app:signal_detail", args=[working.number])).content
    assert "Лифт отремонтирован 08.12" in shown.decode()


@time_machine.travel(NOW, tick=True)
def test_the_contact_goes_only_when_chosen_and_an_unknown_key_makes_nothing(
    client, mailbox, imap, smtp, ready, working, body, analyst,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        forward_on_page(client, working, body, with_contact="true")
    assert "Сидоров Иван, ivan@example.net" in smtp.received[0].get_content()
    stray = letter("Ответ на неизвестное письмо", sender="x@elsewhere.example")
    stray.replace_header("To", "cur+fw-0123456789abcdef@example.org")
    imap.deliver(stray.as_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll(mailbox)
    assert Signal.objects.count() == 1
    assert InboundMessage.objects.get(external_id__contains="example.net").state == "ignored"


def test_refusals(client, region, other_region, mailbox, working, body, analyst, supervisor,
                  executor, outsider_executor):  # fmt: skip
    foreign = OutsideBody.objects.create(region=other_region, name="Чужая УК", email="a@b.ru")
    client.force_login(analyst)
    assert forward_on_page(client, working, foreign).status_code == 400
    assert forward_on_page(client, working, body).status_code == 302
    working.refresh_from_db()
    again = forward_on_page(client, working, body)
    assert again.status_code == 400 and "уже ждёт" in again.content.decode()
    client.force_login(supervisor)
    working.refresh_from_db()
    assert forward_on_page(client, working, body).status_code in (403, 404)
    assert Forward.objects.count() == 1
    # Without a mailbox for the answers the letter would go nowhere traceable: refused.
    mailbox.delete()
    other = OutsideBody.objects.create(region=region, name="Водоканал", email="v@k.ru")
    client.force_login(executor)  # the agency's staff forward their own signals
    refused = forward_on_page(client, working, other)
    assert refused.status_code == 400 and "почтовый ящик" in refused.content.decode()


def test_a_late_answer_is_told_once(region, mailbox, working, body, analyst, executor):
    with time_machine.travel(NOW, tick=False):
        forward = services.signal_forward(signal=working, body=body, actor=executor)
    with time_machine.travel(timezone.datetime.fromisoformat("2026-12-14T09:00+05:00")):
        assert forwards_overdue_tell() == 0  # the seventh day is not over
    with time_machine.travel(timezone.datetime.fromisoformat("2026-12-14T10:01+05:00")):
        assert forwards_overdue_tell() == 1
        assert forwards_overdue_tell() == 0
        forward.refresh_from_db()
        assert forward.overdue_told_at is not None and forward.is_overdue
    assert SignalEvent.objects.filter(kind=SignalEvent.Kind.FORWARD_OVERDUE).count() == 1
    told = set(
        Notification.objects.filter(kind="forward_overdue").values_list("user_id", flat=True)
    )
    assert executor.pk in told


def test_the_api_forwards_and_shows_the_forwards(mailbox, working, body, analyst):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(analyst)
    listed = api.get(reverse("api:signal_actions", args=[working.number])).json()
    assert "forward" in {item["name"] for item in listed}
    done = api.post(reverse("api:signal_action", args=[working.number, "forward"]),
                    {"body": body.pk, "note": "Срочно"}, format="json")  # fmt: skip
    assert done.status_code == 200, done.content
    detail = api.get(reverse("api:signal_detail", args=[working.number])).json()
    [shown] = detail["forwards"]
    assert shown["body"] == "УК «Жилсервис»" and shown["state"] == "waiting"
    assert not shown["is_overdue"]


def test_the_tracking_address_carries_the_key_and_nothing_else():
    assert tracking_key("cur+fw-0123456789abcdef@example.org") == "0123456789abcdef"
    assert tracking_key("CUR+FW-0123456789ABCDEF@example.org") == "0123456789abcdef"
    assert tracking_key("cur@example.org") == tracking_key("cur+fw-xyz@example.org") == ""


def test_the_monthly_report_counts_the_forwards(region, mailbox, body, analyst, executor, agency):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reports.figures import monthly_figures

    zone = ZoneInfo("Asia/Yekaterinburg")
    made = []
    for day in (3, 10, 20):
        with time_machine.travel(datetime(2026, 11, day, 10, tzinfo=zone), tick=False):
            signal = drive(SignalFactory(region=region), Status.IN_PROGRESS, analyst=analyst,
                           executor=executor, agency=agency)  # fmt: skip
            made.append(services.signal_forward(signal=signal, body=body, actor=analyst))
    with time_machine.travel(datetime(2026, 11, 6, 10, tzinfo=zone), tick=False):
        services.forward_answered(token=made[0].token, text="Сделано")  # in time
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=zone), tick=False):
        services.forward_answered(token=made[1].token, text="Сделано поздно")  # 8 days later
    with time_machine.travel(datetime(2026, 12, 1, 6, tzinfo=zone)):
        figures = monthly_figures(region=region, year=2026, month=11)
    # Late: the one answered after its 7 days, and the one still unanswered past them.
    assert figures["forwards"] == {"sent": 3, "answered": 2, "in_time": 1, "late": 2,
                                   "in_time_share": 0.5}  # fmt: skip
