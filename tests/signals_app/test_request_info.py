# ruff: noqa: F811 — the fixtures below are imported from the intake and outbound tests
"""«Запросить уточнение» asks the citizen through the channel's outbox, and the citizen's reply
on the same thread lands in the signal's timeline and resumes the clock."""

from __future__ import annotations

import pytest

from signals_app.choices import Status
from signals_app.models import Reply, Signal, SignalEvent
from signals_app.outbound.models import OutboxState, ReplyDelivery
from signals_app.workflow import services
from tests.signals_app.helpers import drive
from tests.signals_app.test_ingest_hooks import (  # noqa: F401 — fixtures
    REPLY,
    TG_MESSAGE,
    eager,
    event,
    page,
    tg,
    tg_source,
    vk,
    vk_source,
)
from tests.signals_app.test_outbound import standin  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db
QUESTION = "Уточните, пожалуйста, номер подъезда."


def _arrive_and_ask(client, capture, analyst, executor, agency, body, send):  # type: ignore[no-untyped-def]
    send(client, body, capture=capture)
    signal = Signal.objects.get()
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    with capture(execute=True):
        services.signal_request_info(signal=signal, question=QUESTION, actor=executor)
    signal.refresh_from_db()
    return signal


def test_the_question_goes_out_like_an_answer_and_the_vk_reply_resumes_the_clock(
    client, vk_source, standin, analyst, executor, agency, django_capture_on_commit_callbacks
):
    vk_source.reply_token = "vk-community-token"
    vk_source.save()
    signal = _arrive_and_ask(client, django_capture_on_commit_callbacks, analyst, executor,
                             agency, event("wall_reply_new", REPLY), vk)  # fmt: skip
    assert signal.status == Status.AWAITING_INFO
    question = Reply.objects.get(signal=signal, kind=Reply.Kind.QUESTION)
    assert question.state == Reply.State.PUBLISHED and question.text == QUESTION
    delivery = ReplyDelivery.objects.get(reply=question)
    assert delivery.state == OutboxState.DELIVERED
    [call] = standin.of("vk")
    assert call.path == "/vk/method/wall.createComment"
    assert call.body["reply_to_comment"] == "77" and call.body["message"] == QUESTION

    # The citizen answers under our comment, in the same post: no new signal.
    answer = REPLY | {"id": 78, "text": "Второй подъезд, кв. 12", "reply_to_comment": 501}
    vk(client, event("wall_reply_new", answer, "e2"), capture=django_capture_on_commit_callbacks)
    assert Signal.objects.count() == 1
    signal.refresh_from_db()
    assert signal.status == Status.IN_PROGRESS
    resumed = SignalEvent.objects.filter(signal=signal, kind=SignalEvent.Kind.STATUS_CHANGED)
    assert resumed.latest("id").actor_id is None  # the system resumed it
    answered = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CITIZEN_ANSWERED)
    assert answered.reason == "Второй подъезд, кв. 12"


def test_someone_else_in_the_same_post_makes_a_new_signal(
    client, vk_source, standin, analyst, executor, agency, django_capture_on_commit_callbacks
):
    vk_source.reply_token = "vk-community-token"
    vk_source.save()
    _arrive_and_ask(client, django_capture_on_commit_callbacks, analyst, executor, agency,
                    event("wall_reply_new", REPLY), vk)  # fmt: skip
    other = REPLY | {"id": 79, "from_id": 999, "text": "А у нас во дворе яма"}
    vk(client, event("wall_reply_new", other, "e3"), capture=django_capture_on_commit_callbacks)
    assert Signal.objects.count() == 2
    assert Signal.objects.get(external_id="wall_reply:-12345_10_77").status == Status.AWAITING_INFO


def test_a_telegram_chat_answer_resumes_the_signal(
    client, tg_source, standin, analyst, executor, agency, django_capture_on_commit_callbacks
):
    tg_source.reply_token = "123:bot-token"
    tg_source.save()
    signal = _arrive_and_ask(client, django_capture_on_commit_callbacks, analyst, executor,
                             agency, TG_MESSAGE, tg)  # fmt: skip
    [call] = standin.of("telegram")
    assert call.body["text"] == QUESTION and call.body["chat_id"] in (42, "42")
    reply = {"update_id": 1002, "message": TG_MESSAGE["message"] | {
        "message_id": 9, "text": "У школы № 3, со стороны стадиона"}}  # fmt: skip
    tg(client, reply, capture=django_capture_on_commit_callbacks)
    signal.refresh_from_db()
    assert Signal.objects.count() == 1 and signal.status == Status.IN_PROGRESS


def test_a_question_is_not_an_answer(client, vk_source, analyst, executor, agency, region):
    from tests.factories import SignalFactory

    signal = SignalFactory(region=region)
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    services.signal_request_info(signal=signal, question=QUESTION, actor=executor)
    signal.refresh_from_db()
    assert signal.answered_at is None
    client.force_login(analyst)
    from django.urls import reverse

    api = client.get(reverse("api:signal_list"), {"has_reply": "true"}).json()
    assert api["results"] == []
    page_html = client.get(reverse("signals_app:signal_detail", args=[signal.number]))
    assert "Вопрос гражданину" in page_html.content.decode()
