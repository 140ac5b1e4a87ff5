"""Signed webhooks: events written with the change they report, delivered with a signature a
receiver can check from the README alone, retried, recorded, and switched off after a run of
failures with a word to the administrators."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from signals_app.choices import Status
from signals_app.models import Notification
from signals_app.outbound.models import OutboxState, WebhookDelivery, WebhookSubscription
from signals_app.outbound.services import outbound_sweep, webhook_subscription_enable
from signals_app.workflow import services
from tests import standins
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def receiver(settings):
    state, server = standins.start()
    yield state
    server.shutdown()


def _subscribe(receiver, events, region=None, name="BI"):  # type: ignore[no-untyped-def]
    return WebhookSubscription.objects.create(
        name=name, url=receiver.url + "/hook/" + name, secret=SECRET, events=events, region=region
    )


def _readme_receiver():  # type: ignore[no-untyped-def]
    """The receiver exactly as the README's Webhooks section prints it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 — our own README
    return namespace["verify"]


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> dict:
    """Call the README's receiver with the headers as a sender names them, at time `now`."""
    named = {
        "-".join(part.capitalize() for part in key.split("-")): v for key, v in headers.items()
    }
    named = {key.replace("Cur", "CUR"): value for key, value in named.items()}
    with time_machine.travel(now, tick=False):
        return _readme_receiver()(secret, named, body)


def test_a_status_change_is_delivered_signed_and_verifiable(
    receiver, region, agency, analyst, eager, django_capture_on_commit_callbacks
):
    _subscribe(receiver, ["signal.status_changed"])
    signal = SignalFactory(region=region, author_name="Иванов Пётр", author_contact="+7 900 1")
    with django_capture_on_commit_callbacks(execute=True):
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    [call] = receiver.of("hook")
    event = verify(SECRET, call.headers, call.raw, time.time())
    assert call.headers["x-cur-event"] == "signal.status_changed"
    assert call.headers["x-cur-delivery"] == event["id"]
    assert event["type"] == "signal.status_changed"
    assert event["data"]["from_status"] == "new" and event["data"]["to_status"] == "in_progress"
    assert event["data"]["signal"]["number"] == signal.number
    assert event["data"]["signal"]["agency_id"] == agency.pk
    assert (
        "Иванов" not in call.raw.decode() and "+7 900" not in call.raw.decode()
    )  # no personal data
    with pytest.raises(ValueError, match="bad signature"):
        verify(SECRET, call.headers, call.raw.replace(b"in_progress", b"closed"), time.time())
    with pytest.raises(ValueError, match="bad signature"):
        verify("another-secret", call.headers, call.raw, time.time())
    with pytest.raises(ValueError, match="stale"):
        verify(SECRET, call.headers, call.raw, time.time() + 3600)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == OutboxState.DELIVERED and delivery.last_status == 200
    assert delivery.attempt_log.get().outcome == "delivered"


def test_events_are_written_with_the_change_and_never_without_it(region, agency, analyst, receiver):
    _subscribe(receiver, ["signal.status_changed", "signal.created"])
    signal = SignalFactory(region=region)
    created = WebhookDelivery.objects.filter(event="signal.created").count()
    assert created == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        services.signal_route(signal=signal, agency=agency, actor=analyst)
        raise RuntimeError("the change is rolled back")
    assert not WebhookDelivery.objects.filter(event="signal.status_changed").exists()


def test_each_event_type_and_the_region_filter(
    receiver, region, other_region, agency, analyst, executor, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    everything = ["signal.created", "signal.status_changed", "signal.overdue", "reply.published"]
    mine = _subscribe(receiver, everything, region=region, name="mine")
    _subscribe(receiver, everything, region=other_region, name="theirs")
    with django_capture_on_commit_callbacks(execute=True):
        signal = SignalFactory(region=region)
    with django_capture_on_commit_callbacks(execute=True):
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    types = [call.body["type"] for call in receiver.of("hook")]
    assert types == [
        "signal.created", "signal.status_changed", "signal.status_changed",
        "reply.published", "signal.status_changed",
    ]  # fmt: skip
    assert all(call.path == "/hook/mine" for call in receiver.of("hook"))
    published = next(c.body for c in receiver.of("hook") if c.body["type"] == "reply.published")
    assert published["data"]["reply"]["text"] == "Работы выполнены."
    assert WebhookDelivery.objects.filter(subscription=mine).count() == 5


@pytest.fixture
def overdue_setup(region, municipality, agency, analyst, executor, coordinator):
    from agencies.models import Role
    from agencies.services import calendar_default_for_region, calendar_sync
    from signals_app.sla.defaults import sla_defaults_install
    from tests.conftest import _centre_user

    calendar = calendar_default_for_region(region=region)
    calendar_sync(calendar=calendar, year=2026)
    sla_defaults_install(region=region)
    curator = _centre_user("curator", Role.ANALYST, region)
    curator.curated_municipalities.add(municipality)
    _centre_user("boss", Role.SUPERVISOR, region)


def test_overdue_event(receiver, overdue_setup, region, municipality, agency, analyst, executor):
    from tests.signals_app.test_sla_escalation import _routed_signal, _sweep_all, at

    _subscribe(receiver, ["signal.overdue"])
    signal = _routed_signal(region, municipality, agency, analyst, executor)
    _sweep_all(at(2026, 11, 24, 16, 30))  # 80 %: escalated, not overdue yet
    assert not WebhookDelivery.objects.exists()
    _sweep_all(at(2026, 11, 24, 17, 48))  # the answer deadline passes
    _sweep_all(at(2026, 11, 25, 18, 0))  # a later level: already overdue, no second event
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "signal.overdue"
    assert delivery.payload["data"]["signal"]["number"] == signal.number
    assert delivery.payload["data"]["signal"]["is_overdue"] is True


def test_signals_from_the_batch_intake_are_announced_too(receiver, region, source, eager):
    from signals_app.ingest.services import inbound_store_many
    from signals_app.ingest.tasks import process_messages

    _subscribe(receiver, ["signal.created"])
    source.channel = "api"
    source.save(update_fields=["channel"])
    stored = inbound_store_many(
        source=source,
        items=[(f"b-{n}", {"external_id": f"b-{n}", "text": f"Яма на дороге {n}",
                           "posted_at": "2026-11-20T10:00:00+05:00"}) for n in range(3)],
    )  # fmt: skip
    process_messages([pk for pk, _created in stored.values()])
    assert WebhookDelivery.objects.filter(event="signal.created").count() == 3


def test_failures_are_retried_then_the_subscription_is_disabled_with_a_notification(
    receiver, region, agency, analyst, eager, django_capture_on_commit_callbacks, settings,
    admin_user,
):  # fmt: skip
    settings.WEBHOOK_DISABLE_AFTER = 3
    subscription = _subscribe(receiver, ["signal.created"])
    receiver.fail("hook", 500, {"error": "down"}, times=10)
    with django_capture_on_commit_callbacks(execute=True):
        first = SignalFactory(region=region)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == OutboxState.RETRYING and delivery.last_status == 500
    assert timedelta(seconds=25) < delivery.next_attempt_at - timezone.now() < timedelta(seconds=35)
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        outbound_sweep()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.state == OutboxState.RETRYING
    # The second wait doubles.
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=50)
    with django_capture_on_commit_callbacks(execute=True):
        SignalFactory(region=region)  # a third failed attempt: the run reaches the limit
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.consecutive_failures == 3
    assert subscription.disabled_at is not None
    note = Notification.objects.get(user=admin_user, kind="webhook")
    assert "BI" in note.title and str(subscription.pk) in note.body
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {OutboxState.FAILED}
    with django_capture_on_commit_callbacks(execute=True):
        SignalFactory(region=region)  # a disabled subscription gets nothing new
    assert WebhookDelivery.objects.count() == 2
    webhook_subscription_enable(subscription=subscription)
    receiver.scripted["hook"].clear()
    with django_capture_on_commit_callbacks(execute=True):
        SignalFactory(region=region)
    assert WebhookDelivery.objects.filter(state=OutboxState.DELIVERED).count() == 1
    assert first.number  # the first signal itself was never held up by the receiver


def test_the_disabling_notice_links_to_the_subscription(admin_client, admin_user):
    subscription = WebhookSubscription.objects.create(
        name="BI", url="https://bi.example.org/", events=["signal.created"]
    )
    link = reverse("admin:signals_app_webhooksubscription_change", args=[subscription.pk])
    Notification.objects.create(user=admin_user, kind="webhook", title="Вебхук отключён", body=link)
    page = admin_client.get(reverse("signals_app:notification_list")).content.decode()
    assert f'<a href="{link}">Вебхук отключён</a>' in page


def test_the_admin_manages_subscriptions_and_shows_deliveries(admin_client, receiver, region):
    response = admin_client.post(
        reverse("admin:signals_app_webhooksubscription_add"),
        {"name": "Аналитика", "url": "https://bi.example.org/hook", "secret": "s" * 32,
         "events": ["signal.created", "reply.published"], "region": region.pk, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get(name="Аналитика")
    assert subscription.events == ["signal.created", "reply.published"]
    for name in ("webhooksubscription", "webhookdelivery", "replydelivery"):
        assert admin_client.get(reverse(f"admin:signals_app_{name}_changelist")).status_code == 200
    assert WebhookSubscription(name="x", url="https://x", events=[]).secret  # a default secret


def test_a_mass_incident_announces_its_children_in_one_go(receiver, region, agency, analyst):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _subscribe(receiver, ["signal.status_changed"])
    lead = SignalFactory(region=region)
    children = [SignalFactory(region=region) for _ in range(4)]
    services.signal_merge(parent=lead, children=[c.pk for c in children], actor=analyst)
    WebhookDelivery.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        services.signal_route(signal=lead, agency=agency, actor=analyst)
    lookups = [q for q in captured if "signals_app_webhooksubscription" in q["sql"]]
    assert len(lookups) == 2  # the lead's move, then all its children together
    moved = {d.payload["data"]["signal"]["number"]: d.payload["data"]["to_status"]
             for d in WebhookDelivery.objects.all()}  # fmt: skip
    assert moved == dict.fromkeys([lead.number, *(c.number for c in children)], "in_progress")


def test_a_subscription_needs_an_http_address_and_a_real_secret(admin_client):
    response = admin_client.post(
        reverse("admin:signals_app_webhooksubscription_add"),
        {"name": "FTP", "url": "ftp://files.example.org/in", "secret": "short",
         "events": ["signal.created"], "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200  # the form again, with its errors
    body = response.content.decode()
    assert "errorlist" in body and not WebhookSubscription.objects.exists()
