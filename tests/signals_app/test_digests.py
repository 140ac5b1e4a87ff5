"""Notification digests: at least once, each user on their own, whatever triggered them."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from signals_app.models import Notification
from signals_app.sla import notifications as digests
from signals_app.sla.notifications import digest_message_id, notifications_email_due
from tests.factories import SignalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel("2026-11-24T09:00:00+05:00", tick=False):
        yield


def people(count):
    return [UserFactory(username=f"user{n}", email=f"user{n}@example.org") for n in range(count)]


def notify(user, count=1, signal=None):
    signal = signal or SignalFactory()
    return [
        Notification.objects.create(user=user, signal=signal, kind="escalation", title=f"Срок {n}")
        for n in range(count)
    ]


def test_one_smtp_failure_never_drops_the_others_digests(monkeypatch):
    users = people(5)
    for user in users:
        notify(user, 2)
    real_send = digests._send

    def flaky(key, items):
        if items[0].user.username in ("user1", "user3"):
            raise smtplib.SMTPRecipientsRefused({items[0].user.email: (451, b"try again later")})
        real_send(key, items)

    monkeypatch.setattr(digests, "_send", flaky)
    run = notifications_email_due()
    assert (run.sent, run.failed) == (3, 2)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "user0@example.org",
        "user2@example.org",
        "user4@example.org",
    ]
    monkeypatch.undo()
    assert notifications_email_due().sent == 2  # the next run retries the two refused
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert len(mail.outbox) == 5


def test_a_worker_dying_between_claim_and_send_resends_the_same_digest():
    (user,) = people(1)
    notify(user, 3)
    claim = digests._claim(user.pk, timezone.now())  # claimed, then the worker is killed
    assert claim is not None
    key, _items = claim
    assert notifications_email_due().sent == 0  # the claim still holds
    notify(user, 1)  # news after the claim goes into a digest of its own
    with time_machine.travel(timezone.now() + digests.DIGEST_LEASE + timedelta(seconds=1)):
        assert notifications_email_due().sent == 1
        assert notifications_email_due().sent == 1
        assert notifications_email_due().sent == 0
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == digest_message_id(key)  # recognisable as a resend
    assert first.body.count("•") == 3 and second.body.count("•") == 1
    assert second.extra_headers["Message-ID"] != digest_message_id(key)


def test_notifications_never_queued_are_mailed_by_the_periodic_run():
    """The broker was away as the sweep fired: the rows committed, no digest was queued."""
    (user,) = people(1)
    notify(user, 2)
    from config.celery import app

    entry = app.conf.beat_schedule["notifications-digest"]
    assert (entry["task"], entry["schedule"]) == ("default.notification_digest", 60.0)
    app.tasks["default.notification_digest"].apply()
    assert len(mail.outbox) == 1 and mail.outbox[0].body.count("•") == 2


def test_arrival_notifications_are_mailed(region, agency, coordinator):
    from signals_app.ingest.notify import notify_arrivals

    coordinator.email = "coordinator@example.org"
    coordinator.save(update_fields=["email"])
    signal = SignalFactory(region=region, agency=agency)
    assert notify_arrivals([signal]) == 1
    notifications_email_due()
    assert mail.outbox[0].to == ["coordinator@example.org"]
    assert signal.number in mail.outbox[0].body


def test_people_without_an_address_are_skipped_and_old_news_is_not_mailed():
    silent = UserFactory(username="silent", email="")
    notify(silent, 1)
    (user,) = people(1)
    old = notify(user, 1)[0]
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert notifications_email_due().sent == 0
    assert Notification.objects.get(user=silent).emailed_at is not None
    assert mail.outbox == []
