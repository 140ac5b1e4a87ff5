# ruff: noqa: F811 — the fixtures below are imported from the outbound tests
"""An answer that did not reach the citizen is loud: red on the signal page and in the queue
(with a filter), its author and the analyst are told, and it can be sent again or marked as
delivered by other means with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from signals_app.models import Notification
from signals_app.outbound.models import OutboxState
from tests.factories import SignalFactory
from tests.signals_app.test_outbound import _publish, _vk_signal, standin, vk_source  # noqa: F401

pytestmark = pytest.mark.django_db


def _failed(region, agency, analyst, executor, vk_source, standin, capture):  # type: ignore[no-untyped-def]
    standin.fail("vk", 200, {"error": {"error_code": 15, "error_msg": "Access denied"}})
    signal = _vk_signal(region, vk_source)
    delivery = _publish(signal, analyst, executor, agency, capture)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED
    return signal, delivery


def test_a_failed_delivery_tells_the_author_and_the_analyst_and_is_red(
    client, region, agency, analyst, executor, vk_source, standin, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    signal, _delivery = _failed(region, agency, analyst, executor, vk_source, standin,
                                django_capture_on_commit_callbacks)  # fmt: skip
    told = Notification.objects.filter(signal=signal, kind="undelivered")
    assert set(told.values_list("user_id", flat=True)) == {executor.pk, analyst.pk}
    assert "не дошёл до гражданина" in told.first().title
    client.force_login(analyst)
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert 'class="badge undelivered-mark" href="#replies"' in page
    assert 'class="delivery delivery-failed"' in page and "reply-undelivered" in page
    queue = reverse("signals_app:signal_list")
    listed = client.get(queue, {"view": "", "undelivered": "true"}).content.decode()
    assert signal.number in listed and "не доставлен</span>" in listed
    other = SignalFactory(region=region)
    assert other.number not in listed
    assert other.number in client.get(queue, {"view": "", "undelivered": "false"}).content.decode()


def test_delivered_by_other_means_needs_a_reason_and_ends_the_alarm(
    client, region, agency, analyst, executor, supervisor, vk_source, standin, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    signal, delivery = _failed(region, agency, analyst, executor, vk_source, standin,
                               django_capture_on_commit_callbacks)  # fmt: skip
    url = reverse("signals_app:signal_action", args=[signal.number, "handed"])
    client.force_login(supervisor)  # reads, does not act
    assert client.post(url, {"delivery": delivery.pk, "reason": "Позвонили"}).status_code == 403
    client.force_login(executor)
    refused = client.post(url, {"delivery": delivery.pk, "reason": " "})
    assert refused.status_code == 400
    done = client.post(url, {"delivery": delivery.pk, "reason": "Позвонили по телефону 8-900…"})
    assert done.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.HANDED and delivery.handed_by == executor
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Доставлено другим способом" in page and "Позвонили по телефону" in page
    assert "undelivered-mark" not in page
    again = client.post(url, {"delivery": delivery.pk, "reason": "ещё раз"})
    assert again.status_code in (400, 409)  # nothing to mark any more
    delivery.refresh_from_db()
    assert delivery.handed_reason.startswith("Позвонили")


def test_no_way_back_tells_at_once(
    region, agency, analyst, executor, standin, eager, django_capture_on_commit_callbacks
):
    by_phone = SignalFactory(region=region, channel="phone", author_contact="+7 900 000-00-00")
    delivery = _publish(by_phone, analyst, executor, agency, django_capture_on_commit_callbacks)
    assert delivery.state == OutboxState.SKIPPED
    assert Notification.objects.filter(signal=by_phone, kind="undelivered", user=executor).exists()
