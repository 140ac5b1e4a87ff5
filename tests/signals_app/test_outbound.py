"""Answers delivered back to the citizen's channel through the outbox, against a local server
standing in for VK, Telegram and the POS platform (it records what it gets, answers like the
real API and fails on demand)."""

from __future__ import annotations

import json
import os
import signal as os_signal
import subprocess
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from signals_app.choices import Status
from signals_app.models import Reply
from signals_app.outbound.models import DeliveryAttempt, OutboxState, ReplyDelivery
from signals_app.outbound.services import outbound_sweep, reply_delivery_send
from signals_app.workflow import services
from tests import standins
from tests.factories import SignalFactory, SourceFactory
from tests.signals_app.helpers import drive
from tests.travel import child_argv

ANSWER = "Здравствуйте! Подачу воды восстановили в 14:00."


@pytest.fixture
def standin(settings):
    server_state, server = standins.start()
    settings.VK_API_URL = server_state.url + "/vk/method/"
    settings.TELEGRAM_API_URL = server_state.url + "/telegram"
    settings.POS_API_URL = server_state.url + "/pos/answers"
    settings.POS_API_TOKEN = "pos-token"
    settings.OUTBOUND_TIMEOUT = 5
    yield server_state
    server.shutdown()


@pytest.fixture
def vk_source(region):
    return SourceFactory(region=region, channel="vk", reply_token="vk-community-token")


@pytest.fixture
def telegram_source(region):
    return SourceFactory(region=region, channel="telegram", reply_token="123:bot-token")


def _publish(signal, analyst, executor, agency, capture, text=ANSWER):  # type: ignore[no-untyped-def]
    """Route, answer and approve; run what is queued on commit (the first delivery attempt)."""
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    reply = services.reply_submit(signal=signal, text=text, actor=executor)
    with capture(execute=True):
        services.reply_approve(reply=reply, actor=analyst)
    return ReplyDelivery.objects.get(reply=reply)


def _vk_signal(region, source, key="wall_reply:-100_20_30"):  # type: ignore[no-untyped-def]
    return SignalFactory(region=region, source=source, channel="vk", external_id=key)


def test_a_vk_comment_is_answered_in_reply_with_the_documented_fields(
    region, agency, analyst, executor, vk_source, standin, eager, django_capture_on_commit_callbacks
):
    signal = _vk_signal(region, vk_source)
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED and delivery.remote_id == "501"
    [call] = standin.of("vk")
    assert call.path == "/vk/method/wall.createComment"
    assert call.body == {
        "owner_id": "-100", "post_id": "20", "reply_to_comment": "30", "from_group": "100",
        "message": ANSWER, "guid": delivery.key, "access_token": "vk-community-token",
        "v": "5.199",
    }  # fmt: skip
    [attempt] = delivery.attempt_log.all()
    assert attempt.outcome == "delivered" and attempt.http_status == 200


def test_a_vk_private_message_is_answered_with_messages_send(
    region, agency, analyst, executor, vk_source, standin, eager, django_capture_on_commit_callbacks
):
    signal = _vk_signal(region, vk_source, key="message:2000000005_77")
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    [call] = standin.of("vk")
    assert call.path == "/vk/method/messages.send"
    assert call.body["peer_id"] == "2000000005" and call.body["message"] == ANSWER
    assert 0 < int(call.body["random_id"]) < 2**31 and "guid" not in call.body
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED


@pytest.mark.parametrize(
    ("code", "message"), [(9, "Flood control"), (6, "Too many requests per second")]
)
def test_vk_flood_control_is_retried_with_backoff_then_delivered(
    region, agency, analyst, executor, vk_source, standin, eager,
    django_capture_on_commit_callbacks, code, message,
):  # fmt: skip
    standin.fail("vk", 200, {"error": {"error_code": code, "error_msg": message}})
    signal = _vk_signal(region, vk_source)
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.RETRYING and delivery.attempts == 1
    assert f"VK {code}" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < wait < timedelta(seconds=40)  # 30 s ± 10 %
    assert outbound_sweep()["replies"] == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert outbound_sweep()["replies"] == 1
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED and delivery.attempts == 2
    assert [a.outcome for a in delivery.attempt_log.all()] == ["transient", "delivered"]
    assert [a.error_code for a in delivery.attempt_log.all()] == [f"vk_{code}", ""]
    assert len(standin.created["vk"]) == 1


def test_a_permanent_vk_error_stops_and_the_page_offers_to_send_again(
    client, region, agency, analyst, executor, supervisor, vk_source, standin, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    standin.fail("vk", 200, {"error": {"error_code": 15, "error_msg": "Access denied"}})
    signal = _vk_signal(region, vk_source)
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED and delivery.next_attempt_at is None
    assert delivery.last_error == "VK 15: Access denied"
    assert outbound_sweep()["replies"] == 0  # a permanent error is not retried by itself
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Не доставлен" in page and "VK 15: Access denied" in page
    assert 'data-action="redeliver"' in page
    client.force_login(supervisor)  # reads the state, may not resend
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Не доставлен" in page and 'data-action="redeliver"' not in page
    response = client.post(
        reverse("signals_app:signal_action", args=[signal.number, "redeliver"]),
        {"delivery": delivery.pk, "version": signal.version},
    )
    assert response.status_code == 403
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signals_app:signal_action", args=[signal.number, "redeliver"]),
            {
                "delivery": delivery.pk,
                "version": Reply.objects.get(pk=delivery.reply_id).signal.version,
            },
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Доставлен автору" in page


def test_telegram_429_waits_as_long_as_it_says(
    region, agency, analyst, executor, telegram_source, standin, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    standin.fail(
        "telegram", 429,
        {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 120",
         "parameters": {"retry_after": 120}},
    )  # fmt: skip
    signal = SignalFactory(
        region=region, source=telegram_source, channel="telegram", external_id="-100777_42"
    )
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.RETRYING
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=115)  # not 30 s
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        outbound_sweep()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED and delivery.remote_id == "9001"
    calls = standin.of("telegram")
    assert [call.path for call in calls] == ["/telegram/bot123:bot-token/sendMessage"] * 2
    assert calls[-1].body == {
        "chat_id": "-100777", "text": ANSWER,
        "reply_parameters": {"message_id": 42, "allow_sending_without_reply": True},
    }  # fmt: skip


def test_the_pos_platform_gets_the_answer_with_an_idempotency_key(
    region, agency, analyst, executor, standin, eager, django_capture_on_commit_callbacks
):
    standin.fail("pos", 503, {"error": "maintenance"}, headers={"Retry-After": "60"})
    source = SourceFactory(region=region, channel="pos")
    signal = SignalFactory(region=region, source=source, channel="pos", external_id="POS-2026-5")
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.RETRYING
    assert delivery.next_attempt_at - timezone.now() >= timedelta(seconds=59)
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        outbound_sweep()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED and delivery.remote_id == "pos-1"
    calls = standin.of("pos")
    assert {call.headers["idempotency-key"] for call in calls} == {delivery.key}
    assert calls[-1].headers["authorization"] == "Bearer pos-token"
    assert calls[-1].body["external_id"] == "POS-2026-5" and calls[-1].body["text"] == ANSWER
    assert calls[-1].body["number"] == signal.number and calls[-1].body["kind"] == "final"


def test_an_e_mail_answer_and_a_channel_without_a_way_back(
    region, agency, analyst, executor, standin, eager, django_capture_on_commit_callbacks,
    mailoutbox,
):  # fmt: skip
    by_mail = SignalFactory(region=region, channel="email", author_contact="ivanov@example.org")
    delivery = _publish(by_mail, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED
    [mail] = mailoutbox
    assert mail.to == ["ivanov@example.org"] and mail.body == ANSWER
    assert by_mail.number in mail.subject and delivery.key[:32] in mail.extra_headers["Message-ID"]
    by_phone = SignalFactory(region=region, channel="phone", author_contact="+7 900 000-00-00")
    delivery = _publish(by_phone, analyst, executor, agency, django_capture_on_commit_callbacks)
    assert delivery.state == OutboxState.SKIPPED and delivery.last_error  # says why
    assert standin.received == []


def test_attempts_end_after_the_limit(
    region, agency, analyst, executor, vk_source, standin, eager,
    django_capture_on_commit_callbacks, settings,
):  # fmt: skip
    settings.OUTBOUND_MAX_ATTEMPTS = 2
    standin.fail("vk", 502, {"error": "bad gateway"}, times=2)
    delivery = _publish(
        _vk_signal(region, vk_source), analyst, executor, agency, django_capture_on_commit_callbacks
    )
    delivery.refresh_from_db()
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        outbound_sweep()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED and delivery.attempts == 2
    assert len(standin.of("vk")) == 2 and standin.created["vk"] == []


def test_an_unpublished_reply_makes_no_delivery(region, agency, analyst, executor, vk_source):
    signal = _vk_signal(region, vk_source)
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    reply = services.reply_submit(signal=signal, text=ANSWER, actor=executor)
    services.reply_return(reply=reply, comment="Доработать", actor=analyst)
    assert not ReplyDelivery.objects.exists()


def test_each_child_of_a_mass_incident_is_answered_where_it_came_from(
    region, agency, analyst, executor, vk_source, telegram_source, standin, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    lead = _vk_signal(region, vk_source, key="wall_post:-100_500")
    child_vk = _vk_signal(region, vk_source, key="wall_reply:-100_501_9")
    child_tg = SignalFactory(
        region=region, source=telegram_source, channel="telegram", external_id="555_12"
    )
    services.signal_merge(parent=lead, children=[child_vk.pk, child_tg.pk], actor=analyst)
    _publish(lead, analyst, executor, agency, django_capture_on_commit_callbacks)
    states = dict(
        ReplyDelivery.objects.filter(reply__kind="final").values_list("signal__number", "state")
    )
    assert states == dict.fromkeys((lead.number, child_vk.number, child_tg.number), "delivered")
    assert sorted(call.path.rsplit("/", 1)[-1] for call in standin.received) == [
        "sendMessage", "wall.createComment", "wall.createComment",
    ]  # fmt: skip


def test_the_api_shows_the_delivery_of_a_reply(
    client, region, agency, analyst, executor, vk_source, standin, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    signal = _vk_signal(region, vk_source)
    _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    client.force_login(analyst)
    replies = client.get(reverse("api:signal_replies", args=[signal.number])).json()
    assert replies[0]["delivery"]["state"] == "delivered"
    assert replies[0]["delivery"]["attempts"] == 1


# --- a worker killed between the remote call and its record ---------------------------------


def _worker(delivery_id: int) -> subprocess.Popen:
    """A separate process that sends one delivery, as a Celery worker would."""
    settings_db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings_db['USER']}@{settings_db['HOST']}:"
        f"{settings_db['PORT'] or 5432}/{settings_db['NAME']}",
        "VK_API_URL": os.environ["_STANDIN_VK"], "TELEGRAM_API_URL": os.environ["_STANDIN_TG"],
        "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    code = (
        "import django; django.setup()\n"
        "from signals_app.outbound.services import reply_delivery_send\n"
        f"reply_delivery_send(delivery_id={delivery_id})\n"
    )
    return subprocess.Popen(child_argv("-c", code), env=env)


def _kill_mid_call(standin, route, delivery):  # type: ignore[no-untyped-def]
    released = standin.hang(route)
    worker = _worker(delivery.pk)
    deadline = time.monotonic() + 60
    while not standin.of(route) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert standin.of(route), "the worker never called the channel"
    os.kill(worker.pid, os_signal.SIGKILL)  # after the call, before the record
    worker.wait(10)
    released.set()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.SENDING  # the dead worker's claim
    return delivery


def _queued(signal, executor, analyst, agency):  # type: ignore[no-untyped-def]
    """Publish without sending: the delivery waits in the outbox, committed."""
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    reply = services.reply_submit(signal=signal, text=ANSWER, actor=executor)
    services.reply_approve(reply=reply, actor=analyst)
    return ReplyDelivery.objects.get(reply=reply)


@pytest.fixture
def held_tasks(monkeypatch, standin):
    """Deliveries queued on commit are held here, not sent: the test plays the worker."""
    from config.celery import app

    held: list[int] = []
    task = app.tasks["outbound.deliver_reply"]
    monkeypatch.setattr(task, "apply_async", lambda args, **_: held.append(args[0]))
    monkeypatch.setenv("_STANDIN_VK", standin.url + "/vk/method/")
    monkeypatch.setenv("_STANDIN_TG", standin.url + "/telegram")
    return held


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_never_doubles_a_vk_answer(
    region, agency, analyst, executor, vk_source, standin, held_tasks
):
    delivery = _queued(_vk_signal(region, vk_source), executor, analyst, agency)
    assert held_tasks == [delivery.pk] and delivery.state == OutboxState.PENDING
    _kill_mid_call(standin, "vk", delivery)
    with time_machine.travel(timezone.now() + timedelta(seconds=125)):  # the lease runs out
        found = outbound_sweep()
        assert found == {"recovered": 1, "replies": 1, "webhooks": 0}
        reply_delivery_send(delivery_id=held_tasks[-1])  # the next worker
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED
    calls = standin.of("vk")
    assert len(calls) == 2 and {call.body["guid"] for call in calls} == {delivery.key}
    assert len(standin.created["vk"]) == 1  # VK kept one comment: the same guid
    assert delivery.remote_id == "501"
    outcomes = [a.outcome for a in DeliveryAttempt.objects.filter(reply_delivery=delivery)]
    assert outcomes == ["interrupted", "delivered"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_leaves_a_telegram_answer_to_a_person(
    region, agency, analyst, executor, telegram_source, standin, held_tasks
):
    signal = SignalFactory(
        region=region, source=telegram_source, channel="telegram", external_id="555_12"
    )
    delivery = _queued(signal, executor, analyst, agency)
    _kill_mid_call(standin, "telegram", delivery)
    with time_machine.travel(timezone.now() + timedelta(seconds=125)):
        assert outbound_sweep() == {"recovered": 1, "replies": 0, "webhooks": 0}
        assert reply_delivery_send(delivery_id=delivery.pk) is None  # nothing picks it up
    delivery.refresh_from_db()
    # Telegram has no idempotency key: sending again could post the answer twice.
    assert delivery.state == OutboxState.FAILED and "могло дойти" in delivery.last_error
    assert len(standin.of("telegram")) == 1


def test_a_claimed_row_is_not_sent_twice_at_once(region, agency, analyst, executor, vk_source):
    delivery = _queued(_vk_signal(region, vk_source), executor, analyst, agency)
    from signals_app.outbound import engine

    assert engine.claim(ReplyDelivery, delivery.pk) is not None
    assert engine.claim(ReplyDelivery, delivery.pk) is None  # "sending" with a live lease
    assert json.loads(json.dumps(delivery.target)) == delivery.target


@pytest.mark.parametrize("posted", ["", "junk", "999999", "-1"])
def test_a_resend_of_no_delivery_is_refused_with_a_message(
    client, region, agency, analyst, executor, vk_source, posted
):
    delivery = _queued(_vk_signal(region, vk_source), executor, analyst, agency)
    ReplyDelivery.objects.filter(pk=delivery.pk).update(state=OutboxState.FAILED)
    client.force_login(analyst)
    response = client.post(
        reverse("signals_app:signal_action", args=[delivery.signal.number, "redeliver"]),
        {"delivery": posted},
    )
    assert response.status_code == 400
    assert "Выберите доставку" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED and delivery.attempts == 0


def test_a_delivery_that_is_not_failed_is_not_sent_again(
    client, region, agency, analyst, executor, vk_source
):
    delivery = _queued(_vk_signal(region, vk_source), executor, analyst, agency)
    client.force_login(analyst)
    response = client.post(
        reverse("signals_app:signal_action", args=[delivery.signal.number, "redeliver"]),
        {"delivery": delivery.pk},
    )
    assert response.status_code in (400, 409)
    assert "только недоставленный" in response.content.decode()
    assert ReplyDelivery.objects.get(pk=delivery.pk).state == OutboxState.PENDING


def _late(standin, route, seconds):  # type: ignore[no-untyped-def]
    """The next call of `route` goes through, but its answer comes `seconds` later."""
    import threading

    released = standin.hang(route)
    threading.Timer(seconds, released.set).start()


def test_a_telegram_answer_that_timed_out_after_sending_is_not_sent_again(
    region, agency, analyst, executor, telegram_source, standin, eager, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.OUTBOUND_TIMEOUT = 1
    _late(standin, "telegram", 2.5)
    signal = SignalFactory(
        region=region, source=telegram_source, channel="telegram", external_id="-100777_42"
    )
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED
    assert "may have arrived" in delivery.last_error or "могло дойти" in delivery.last_error
    time.sleep(2)  # the late answer arrives; the message is there once
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        outbound_sweep()
    assert len(standin.created["telegram"]) == 1
    assert len(standin.of("telegram")) == 1  # never resent by itself


def test_a_vk_answer_that_timed_out_is_retried_with_the_same_guid(
    region, agency, analyst, executor, vk_source, standin, eager, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.OUTBOUND_TIMEOUT = 1
    _late(standin, "vk", 2.5)
    signal = _vk_signal(region, vk_source)
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.RETRYING
    time.sleep(2)
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        outbound_sweep()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DELIVERED
    first, second = standin.of("vk")
    assert first.body["guid"] == second.body["guid"] == delivery.key
    assert len(standin.created["vk"]) == 1  # VK kept one comment


def test_a_refused_connection_is_retried_for_telegram_too(
    region, agency, analyst, executor, telegram_source, eager, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from tests.servers import free_port

    settings.TELEGRAM_API_URL = f"http://127.0.0.1:{free_port()}/telegram"  # nobody listens
    signal = SignalFactory(
        region=region, source=telegram_source, channel="telegram", external_id="-100777_42"
    )
    delivery = _publish(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.RETRYING  # it never left: safe to try again
