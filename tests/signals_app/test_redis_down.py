"""Redis stopped (a real server of the test's own): the cache and the broker are away. A change
that was made is answered as made, the API and the widget let requests through; nothing 500s."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from signals_app.choices import Status
from signals_app.models import Signal
from signals_app.outbound.models import ReplyDelivery, WebhookSubscription
from tests.api.conftest import Api
from tests.factories import SignalFactory, SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_actions_answer_as_made_when_the_broker_is_away(
    client, redis, region, agency, analyst, executor, caplog
):
    WebhookSubscription.objects.create(
        name="crm",
        url="https://example.org/hook",
        secret="s" * 20,
        events=["signal.status_changed"],
    )
    signal = SignalFactory(region=region, channel="vk", external_id="wall_reply:-1_2_3",
                           thread_id="wall_reply:-1_2")  # fmt: skip
    redis.stop()
    api = Api(client, analyst)
    started = time.monotonic()
    route = api.post(
        reverse("api:signal_route", args=[signal.number]),
        {"agency": agency.pk, "version": signal.version},
    )
    assert route.status_code == 200, route.content
    submitted = Api(client, executor).post(
        reverse("api:signal_replies", args=[signal.number]), {"text": "Яму заделали."}
    )
    assert submitted.status_code == 201, submitted.content
    review = api.post(
        reverse("api:reply_review", args=[signal.number, submitted.json()["id"]]),
        {"decision": "approve"},
    )
    assert review.status_code == 200, review.content
    assert time.monotonic() - started < 15  # no long wait for a broker that is not there
    signal.refresh_from_db()
    assert signal.status == Status.ANSWERED
    # The answer waits in the outbox for the sweep; the failed enqueue was logged, not raised.
    assert ReplyDelivery.objects.filter(reply__signal=signal).exists()
    assert "task_queue_failed" in caplog.text


def test_the_page_actions_answer_as_made_too(client, redis, region, agency, analyst):
    signal = SignalFactory(region=region)
    redis.stop()
    client.force_login(analyst)
    response = client.post(
        reverse("signals_app:signal_action", args=[signal.number, "route"]),
        {"agency": agency.pk, "version": signal.version},
    )
    assert response.status_code in (200, 302), response.content[:300]
    assert Signal.objects.get(pk=signal.pk).agency == agency


def test_the_api_lets_requests_through_without_its_throttle(client, redis, region, analyst):
    SignalFactory(region=region)
    redis.stop()
    response = Api(client, analyst).get(reverse("api:signal_list"))
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_intakes_store_with_redis_away(client, redis, region, agency):
    SourceFactory(region=region, slug="widget", channel="widget", secret="")
    SourceFactory(region=region, slug="pos", channel="pos", secret="pos-token")
    redis.stop()
    widget = client.post(
        reverse("widget", args=[agency.pk]),
        {"consent": "on", "text": "Яма у подъезда, глубокая", "address": "Мира"},
    )
    assert widget.status_code == 200
    assert Signal.objects.get().number in widget.content.decode()
    batch = client.post(
        reverse("ingest", args=["pos"]),
        {"external_id": "p1", "text": "Нет воды", "posted_at": "2026-11-24T10:00:00+05:00"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Token pos-token",
    )
    assert batch.status_code == 202 and batch.json()["accepted"] == 1
