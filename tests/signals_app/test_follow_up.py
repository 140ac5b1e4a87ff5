# ruff: noqa: F811 — the fixtures below are imported from the intake tests
"""A citizen's follow-up: a new message of the author on the thread of their signal continues
that signal (its timeline, its files, the assignee told) instead of making a new one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from signals_app.choices import Status
from signals_app.ingest.process import FOLLOW_UP_WINDOW, inbound_process_batch
from signals_app.ingest.services import inbound_store
from signals_app.models import Attachment, InboundMessage, Notification, Signal, SignalEvent
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

pytestmark = pytest.mark.django_db
NOW = "2026-12-07 10:00 +05:00"


def _first(client, capture, analyst, executor, agency, status=Status.IN_PROGRESS):  # type: ignore[no-untyped-def]
    vk(client, event("wall_reply_new", REPLY), capture=capture)
    signal = drive(Signal.objects.get(), status, analyst=analyst, executor=executor, agency=agency)
    services.signal_assign(signal=signal, assignee=executor, actor=analyst)
    signal.refresh_from_db()
    return signal


@time_machine.travel(NOW, tick=False)
def test_a_reply_under_the_comment_continues_the_signal_and_tells_the_assignee(
    client, vk_source, analyst, executor, agency, django_capture_on_commit_callbacks
):
    signal = _first(client, django_capture_on_commit_callbacks, analyst, executor, agency)
    photo = {"type": "photo", "photo": {"id": 9, "owner_id": 555, "sizes": [
        {"type": "x", "url": "https://sun9-1.userapi.com/p.jpg", "width": 604, "height": 403}]}}  # fmt: skip
    more = REPLY | {"id": 78, "text": "Лифт так и стоит, вот фото", "reply_to_comment": 77,
                    "attachments": [photo]}  # fmt: skip
    vk(client, event("wall_reply_new", more, "e2"), capture=django_capture_on_commit_callbacks)

    assert Signal.objects.count() == 1
    signal.refresh_from_db()
    assert signal.status == Status.IN_PROGRESS  # its work goes on: nothing moved
    wrote = SignalEvent.objects.get(signal=signal, kind=SignalEvent.Kind.CITIZEN_WROTE)
    assert wrote.reason == "Лифт так и стоит, вот фото" and wrote.actor_id is None
    assert Attachment.objects.get(signal=signal).url == "https://sun9-1.userapi.com/p.jpg"
    told = Notification.objects.get(kind="citizen_wrote")
    assert told.user_id == executor.pk and told.signal_id == signal.pk
    assert InboundMessage.objects.get(external_id__endswith="e2").signal_id == signal.pk


@time_machine.travel(NOW, tick=False)
def test_a_new_comment_that_answers_nobody_is_a_new_signal(
    client, vk_source, analyst, executor, agency, django_capture_on_commit_callbacks
):
    _first(client, django_capture_on_commit_callbacks, analyst, executor, agency)
    other = REPLY | {"id": 79, "text": "И ещё: во дворе не горит фонарь"}
    vk(client, event("wall_reply_new", other, "e3"), capture=django_capture_on_commit_callbacks)
    assert Signal.objects.count() == 2
    assert not SignalEvent.objects.filter(kind=SignalEvent.Kind.CITIZEN_WROTE).exists()


def test_a_telegram_reply_to_the_answer_lands_in_the_answered_signal_for_a_month(
    client, tg_source, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with time_machine.travel(NOW, tick=False):
        tg(client, TG_MESSAGE, capture=capture)
        signal = Signal.objects.get()
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    reply_to = {"message_id": 6, "date": 1764000100, "chat": TG_MESSAGE["message"]["chat"],
                "text": "Работы выполнены."}  # fmt: skip
    later = datetime.fromisoformat("2026-12-07T10:00+05:00") + FOLLOW_UP_WINDOW - timedelta(days=1)
    with time_machine.travel(later, tick=False):
        tg(client, {"update_id": 1002, "message": TG_MESSAGE["message"] | {
            "message_id": 7, "text": "Яму засыпали, но снова провал", "reply_to_message": reply_to,
        }}, capture=capture)  # fmt: skip
    assert Signal.objects.count() == 1
    signal.refresh_from_db()
    assert signal.status == Status.ANSWERED
    assert SignalEvent.objects.filter(signal=signal, kind=SignalEvent.Kind.CITIZEN_WROTE).exists()
    # Past the window, the same reply is a new signal.
    with time_machine.travel(later + timedelta(days=2), tick=False):
        tg(client, {"update_id": 1003, "message": TG_MESSAGE["message"] | {
            "message_id": 8, "text": "Опять яма у школы", "reply_to_message": reply_to,
        }}, capture=capture)  # fmt: skip
    assert Signal.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_details_after_the_closing_wait_for_the_centre(
    client, tg_source, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    tg(client, TG_MESSAGE, capture=capture)
    signal = Signal.objects.get()
    drive(signal, Status.AWAITING_INFO, analyst=analyst, executor=executor, agency=agency)
    services.signal_close_without_details(signal=signal, actor=analyst)
    tg(client, {"update_id": 1002, "message": TG_MESSAGE["message"] | {
        "message_id": 9, "text": "Подъезд 2, простите за задержку"}}, capture=capture)  # fmt: skip
    assert Signal.objects.count() == 1
    signal.refresh_from_db()
    assert signal.status == Status.CLOSED  # the centre decides: «Уточнение получено»
    late = SignalEvent.objects.filter(signal=signal, kind=SignalEvent.Kind.CITIZEN_ANSWERED)
    assert late.get().reason == "Подъезд 2, простите за задержку"
    told = set(Notification.objects.filter(kind="citizen_wrote").values_list("user_id", flat=True))
    assert analyst.pk in told  # the region's analysts review what came late


@time_machine.travel(NOW, tick=False)
def test_a_batch_sends_the_follow_up_the_one_message_way_and_makes_the_rest(
    client, vk_source, analyst, executor, agency, django_capture_on_commit_callbacks
):
    signal = _first(client, django_capture_on_commit_callbacks, analyst, executor, agency)
    bodies = [
        event("wall_reply_new", REPLY | {"id": 80, "text": "Когда?", "reply_to_comment": 77}, "b1"),
        event("wall_reply_new", REPLY | {"id": 81, "from_id": 600, "text": "Нет света на Мира"},
              "b2"),
        event("wall_reply_new", REPLY | {"id": 82, "from_id": 601, "text": "Яма на Садовой"},
              "b3"),
    ]  # fmt: skip
    stored = [
        inbound_store(source=vk_source, external_id=f"vk:{body['event_id']}", payload=body,
                      wake=False).message.pk
        for body in bodies
    ]  # fmt: skip
    assert inbound_process_batch(message_ids=stored) == 2  # the follow-up went alone
    assert Signal.objects.count() == 3
    states = set(InboundMessage.objects.filter(pk__in=stored).values_list("state", flat=True))
    assert states == {InboundMessage.State.PROCESSED}
    assert SignalEvent.objects.get(kind=SignalEvent.Kind.CITIZEN_WROTE).signal_id == signal.pk
