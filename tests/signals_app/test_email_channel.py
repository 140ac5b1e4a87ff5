# ruff: noqa: F811 — the fixtures below are imported from tests.mail_servers
"""E-mail for real: letters read from a real IMAP server (Dovecot) become signals once, automatic
mail and broken letters never become signals or hold up the rest, and the answer goes back by a
real SMTP server in the same conversation, where the citizen's reply finds its signal."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import time_machine

from signals_app.channels.email.poll import mailbox_poll, poll
from signals_app.choices import Status
from signals_app.models import (
    Attachment,
    InboundMessage,
    Mailbox,
    Notification,
    Reply,
    Signal,
    SignalEvent,
)
from signals_app.sla.defaults import sla_defaults_install
from signals_app.workflow import services
from tests.factories import SourceFactory
from tests.mail_servers import imap, imap_server, smtp  # noqa: F401 — fixtures
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db
NOW = "2026-12-07 10:00 +05:00"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def mailbox(region, imap):
    sla_defaults_install(region=region)
    source = SourceFactory(region=region, slug="mail-cur", channel="email", name="Почта ЦУР")
    return Mailbox.objects.create(
        source=source, host="127.0.0.1", port=imap.port, security=Mailbox.Security.PLAIN,
        username="inbox@example.org", password="secret", address="cur@example.org",
    )  # fmt: skip


@pytest.fixture
def ready(settings):
    """Tasks run in the test's process; the outbox sends at once."""
    from config.celery import app

    app.conf.task_always_eager = True
    settings.EMAIL_MESSAGE_DOMAIN = "cur.example.org"
    yield
    app.conf.task_always_eager = False


def letter(text="Прошу отремонтировать крышу дома 5 по ул. Ленина.", *, subject="Крыша течёт",
           sender="Иванова Мария <maria@example.net>", html=None, headers=None, files=()):  # type: ignore[no-untyped-def]  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "inbox@example.org"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.net")
    message["Date"] = "Mon, 07 Dec 2026 09:30:00 +0500"
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, kind in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def read_all(mailbox, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return mailbox_poll(mailbox)


@time_machine.travel(NOW, tick=True)
def test_a_letter_becomes_a_signal_with_its_files_and_is_marked_read_after(
    mailbox,
    imap,
    ready,
    django_capture_on_commit_callbacks,
):
    sent = letter(files=[("крыша.png", PHOTO, "image/png")])
    imap.deliver(sent.as_bytes())
    result = read_all(mailbox, django_capture_on_commit_callbacks)

    assert (result.stored, result.known, result.failed) == (1, 0, 0)
    signal = Signal.objects.get()
    assert signal.channel == "email" and signal.source == mailbox.source
    assert signal.text == "Крыша течёт\n\nПрошу отремонтировать крышу дома 5 по ул. Ленина."
    assert (signal.author_name, signal.author_contact) == ("Иванова Мария", "maria@example.net")
    assert signal.external_id == f"mail:{sent['Message-ID']}"
    assert signal.sla_version is not None and "59" in signal.sla_version.policy.name
    stored = Attachment.objects.get(signal=signal)
    assert (stored.name, stored.size) == ("крыша.png", len(PHOTO))
    assert stored.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert stored.file.read() == PHOTO
    assert imap.unread() == 0 and imap.count() == 1  # read, and left in its folder

    # The same letter again (a copy delivered twice): no second signal.
    imap.deliver(sent.as_bytes())
    again = read_all(mailbox, django_capture_on_commit_callbacks)
    assert (again.stored, again.known) == (0, 1) and Signal.objects.count() == 1
    assert imap.unread() == 0


@time_machine.travel(NOW, tick=True)
def test_a_run_killed_after_storing_never_stores_twice(
    mailbox,
    imap,
    ready,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    imap.deliver(letter().as_bytes())
    from imap_tools import BaseMailBox

    def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionResetError("worker killed before marking")

    monkeypatch.setattr(BaseMailBox, "flag", killed)
    with pytest.raises(ConnectionResetError):
        read_all(mailbox, django_capture_on_commit_callbacks)
    assert imap.unread() == 1 and Signal.objects.count() == 1
    monkeypatch.undo()
    result = read_all(mailbox, django_capture_on_commit_callbacks)
    assert (result.stored, result.known) == (0, 1)
    assert imap.unread() == 0 and Signal.objects.count() == 1


@time_machine.travel(NOW, tick=True)
def test_an_html_letter_is_read_as_text_never_as_markup(
    mailbox,
    imap,
    ready,
    django_capture_on_commit_callbacks,
):
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>Во дворе <b>нет света</b> третий день.</p><p>Адрес: ул. Мира, 7</p></body></html>")  # fmt: skip
    imap.deliver(letter(text=None, html=html, subject="Свет").as_bytes())
    read_all(mailbox, django_capture_on_commit_callbacks)
    text = Signal.objects.get().text
    assert "Во дворе нет света третий день." in text and "ул. Мира, 7" in text
    assert "<" not in text and "alert" not in text and "color" not in text


@time_machine.travel(NOW, tick=True)
def test_automatic_mail_and_broken_letters_never_become_signals_nor_hold_up_the_rest(
    mailbox,
    imap,
    ready,
    django_capture_on_commit_callbacks,
):
    imap.deliver(letter("Уехал в отпуск до 15 декабря.", subject="Автоответ",
                        headers={"Auto-Submitted": "auto-replied"}).as_bytes())  # fmt: skip
    report = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; x@example.org\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
    )
    imap.deliver(report)
    imap.deliver(b"Subject: no sender\r\nMessage-ID: <nosender@x>\r\n\r\nwho wrote this?")
    imap.deliver(letter("Не вывозят мусор с ул. Садовой.", subject="Мусор").as_bytes())

    result = read_all(mailbox, django_capture_on_commit_callbacks)
    assert result.stored == 4 and imap.unread() == 0
    assert Signal.objects.get().text.startswith("Мусор")
    states = dict(InboundMessage.objects.values_list("external_id", "state"))
    assert sorted(states.values()) == ["failed", "ignored", "ignored", "processed"]
    failed = InboundMessage.objects.get(state="failed")
    assert failed.external_id == "mail:<nosender@x>" and "sender" in failed.error
    reasons = set(InboundMessage.objects.filter(state="ignored").values_list("error", flat=True))
    assert any("Auto-Submitted" in reason for reason in reasons)
    assert any("report" in reason for reason in reasons)


@time_machine.travel(NOW, tick=True)
def test_the_answer_leaves_by_smtp_in_the_conversation_and_the_reply_comes_back_to_it(
    mailbox, imap, smtp, ready, analyst, executor, agency,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    first = letter()
    imap.deliver(first.as_bytes())
    read_all(mailbox, capture)
    signal = Signal.objects.get()
    with capture(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)

    answer = next(m for m in smtp.received if m["In-Reply-To"])
    assert answer["In-Reply-To"] == first["Message-ID"]
    assert answer["References"] == first["Message-ID"]
    assert str(answer["Subject"]).strip().startswith("Re: Крыша течёт")
    assert answer["From"] == "cur@example.org" and answer["Reply-To"] == "cur@example.org"
    assert answer["Auto-Submitted"] is None  # written by a person
    assert smtp.envelopes[0][1] == ["maria@example.net"]
    assert "Работы выполнены." in answer.get_payload(decode=True).decode()

    # The citizen answers our answer, quoting it: the signal's timeline gets their words.
    reply = letter("Ничего не сделано, крыша течёт.\n\nПн, 7 дек. 2026 г. в 10:00, ЦУР "
                   "написал(а):\n> Работы выполнены.", subject="Re: " + answer["Subject"],
                   headers={"In-Reply-To": answer["Message-ID"],
                            "References": f"{first['Message-ID']} {answer['Message-ID']}"})  # fmt: skip
    imap.deliver(reply.as_bytes())
    read_all(mailbox, capture)
    assert Signal.objects.count() == 1
    wrote = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CITIZEN_WROTE)
    assert wrote.reason == "Ничего не сделано, крыша течёт."
    assert Notification.objects.filter(kind="citizen_wrote", signal=signal).exists()


@time_machine.travel(NOW, tick=True)
def test_a_reply_to_our_question_resumes_the_clock(
    mailbox, imap, smtp, ready, analyst, executor, agency,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    first = letter()
    imap.deliver(first.as_bytes())
    read_all(mailbox, capture)
    signal = drive(Signal.objects.get(), Status.IN_PROGRESS, analyst=analyst, executor=executor,
                   agency=agency)  # fmt: skip
    with capture(execute=True):
        services.signal_request_info(signal=signal, question="Укажите номер квартиры.",
                                     actor=executor)  # fmt: skip
    [question] = [m for m in smtp.received if m["In-Reply-To"] == first["Message-ID"]]
    assert str(question["Subject"]).strip().startswith("Re: Крыша течёт")
    # A mail program that keeps only In-Reply-To and the root of References.
    imap.deliver(letter("Квартира 12.", subject="Re: Крыша течёт", headers={
        "In-Reply-To": question["Message-ID"], "References": first["Message-ID"]}).as_bytes())  # fmt: skip
    read_all(mailbox, capture)
    signal.refresh_from_db()
    assert Signal.objects.count() == 1 and signal.status == Status.IN_PROGRESS
    assert SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CITIZEN_ANSWERED).reason \
        == "Квартира 12."  # fmt: skip
    notice = Reply.objects.filter(signal=signal, kind=Reply.Kind.QUESTION).get()
    assert notice.delivery.remote_id == str(question["Message-ID"]).strip()[:100]


@time_machine.travel(NOW, tick=True)
def test_a_done_folder_receives_the_stored_letters(
    mailbox,
    imap,
    ready,
    django_capture_on_commit_callbacks,
):
    mailbox.done_folder = "Done"
    mailbox.save()
    imap.deliver(letter().as_bytes())
    read_all(mailbox, django_capture_on_commit_callbacks)
    assert imap.count() == 0 and imap.count(folder="Done") == 1
    assert Signal.objects.count() == 1


def test_an_unreachable_server_is_recorded_and_tried_again(mailbox, imap):
    mailbox.password = "wrong"
    mailbox.save()
    assert poll() == 0
    mailbox.refresh_from_db()
    assert mailbox.polled_at is not None and "LOGIN" in mailbox.last_error.upper()
    assert "wrong" not in mailbox.last_error
    mailbox.password = "secret"
    mailbox.save()
    imap.deliver(letter().as_bytes())
    assert poll() == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


@time_machine.travel(NOW, tick=True)
def test_a_letter_too_large_is_kept_as_failed_from_its_headers_and_never_downloaded(
    mailbox, imap, ready, django_capture_on_commit_callbacks, monkeypatch
):
    from signals_app.channels.email import poll as poller

    monkeypatch.setattr(poller, "MAX_MESSAGE", 2000)
    big = letter("Большое письмо", files=[("scan.pdf", b"%PDF" + b"0" * 5000, "application/pdf")])
    imap.deliver(big.as_bytes())
    imap.deliver(letter("Маленькое письмо о яме", subject="Яма").as_bytes())
    result = read_all(mailbox, django_capture_on_commit_callbacks)
    assert (result.stored, result.failed) == (2, 1) and imap.unread() == 0
    failed = InboundMessage.objects.get(state="failed")
    assert "larger than the 40 MB" in failed.error and failed.payload["subject"] == "Крыша течёт"
    assert Signal.objects.get().text.startswith("Яма")
    assert not Attachment.objects.exists()  # the large letter's file was never fetched
