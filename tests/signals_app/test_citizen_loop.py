# ruff: noqa: F811 — the fixtures below are imported from the intake and outbound tests
"""The citizen's side of the loop: «Проблема решена?» after the final answer on the citizen's
own channel, the reopen request a «нет» makes and the analysts' decision, the status page,
and the question that waited in vain."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from signals_app import citizen
from signals_app.choices import Status
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.models import (
    Note,
    Notification,
    ReopenRequest,
    Reply,
    Signal,
    SignalEvent,
    Survey,
    SurveyOptOut,
)
from signals_app.models.signal import Closure
from signals_app.outbound.models import OutboxState, ReplyDelivery
from signals_app.outbound.services import outbound_sweep, reply_delivery_send
from signals_app.sla.defaults import sla_defaults_install
from signals_app.sla.waits import details_sweep
from signals_app.workflow import services
from tests.factories import SignalFactory, SourceFactory
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


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Only this test client's counters: never flush the shared Redis."""
    from django.core.cache import cache

    from signals_app.limits import limit_key

    keys = [limit_key(scope, "127.0.0.1") for scope in ("status", "widget")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


ANSWER = "Яму заделали 2 декабря."
TEN_MINUTES = timedelta(minutes=11)


def _answer(signal, analyst, executor, agency, capture, text=ANSWER):  # type: ignore[no-untyped-def]
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    reply = services.reply_submit(signal=signal, text=text, actor=executor)
    with capture(execute=True):
        services.reply_approve(reply=reply, actor=analyst)
    signal.refresh_from_db()
    return signal


def _telegram_signal(client, tg_source, capture):  # type: ignore[no-untyped-def]
    tg_source.reply_token = "123:bot-token"
    tg_source.save()
    tg(client, TG_MESSAGE, capture=capture)
    return Signal.objects.get()


def _press(client, signal, answer, capture, update_id=2001, chat=42):  # type: ignore[no-untyped-def]
    body = {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb-{update_id}",
            "from": {"id": chat, "first_name": "Пётр"},
            "message": {"message_id": 9002, "date": 1764000100, "chat": {"id": chat}},
            "data": f"sv:{signal.public_key.hex}:{answer}",
        },
    }
    return tg(client, body, capture=capture)


# --- asking ----------------------------------------------------------------------------------


def test_telegram_asks_with_buttons_after_the_answer_and_a_no_becomes_a_reopen_request(
    client, tg_source, standin, eager, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    signal = _answer(_telegram_signal(client, tg_source, capture), analyst, executor, agency,
                     capture)  # fmt: skip
    survey = Survey.objects.get(signal=signal)
    assert survey.state == Survey.State.ASKED and survey.cycle == 1
    assert survey.expires_at - survey.asked_at == timedelta(days=14)  # the region's default
    question = survey.question
    assert question.kind == Reply.Kind.SURVEY and citizen.status_url(signal) in question.text
    assert [call.body["text"] for call in standin.of("telegram")] == [ANSWER]  # the answer first
    with time_machine.travel(timezone.now() + TEN_MINUTES), capture(execute=True):
        outbound_sweep()
    sent = standin.of("telegram")[-1].body
    assert sent["text"] == question.text
    buttons = sent["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"sv:{signal.public_key.hex}:1",
                                                     f"sv:{signal.public_key.hex}:0"]  # fmt: skip
    assert [b["text"] for b in buttons] == ["Да, решена", "Нет, не решена"]

    response = _press(client, signal, 0, capture)
    # The button's spinner stops at once: the method call rides on the webhook's answer.
    assert response.json()["method"] == "answerCallbackQuery"
    assert response.json()["callback_query_id"] == "cb-2001"
    survey.refresh_from_db()
    assert (survey.state, survey.solved, survey.answered_via) == ("answered", False, "telegram")
    request = ReopenRequest.objects.get(signal=signal)
    assert request.state == ReopenRequest.State.PENDING
    assert Notification.objects.filter(user=analyst, kind="reopen_request").count() == 1
    assert signal.status == Status.ANSWERED  # never reopened by itself

    # A second press (of either button) changes nothing.
    _press(client, signal, 1, capture, update_id=2002)
    survey.refresh_from_db()
    assert survey.solved is False and ReopenRequest.objects.count() == 1
    assert SignalEvent.objects.filter(signal=signal, kind="survey_answered").count() == 1


def test_a_button_from_another_dialogue_or_an_unknown_key_records_nothing(
    client, tg_source, standin, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    signal = _answer(_telegram_signal(client, tg_source, capture), analyst, executor, agency,
                     capture)  # fmt: skip
    _press(client, signal, 0, capture, update_id=2003, chat=777)  # someone else's chat
    body = {"update_id": 2004, "callback_query": {"id": "x", "data": "sv:" + "0" * 32 + ":1",
                                                  "message": {"chat": {"id": 42}}}}  # fmt: skip
    tg(client, body, capture=capture)
    garbage = {"update_id": 2005, "callback_query": {"id": "y", "data": "sv:zz:1"}}
    assert tg(client, garbage, capture=capture).status_code == 200
    assert Survey.objects.get(signal=signal).state == Survey.State.ASKED
    assert not ReopenRequest.objects.exists()


def test_vk_asks_with_a_link_and_the_survey_waits_for_the_answer_to_arrive(
    client, vk_source, standin, eager, analyst, executor, agency, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    vk_source.reply_token = "vk-community-token"
    vk_source.save()
    standin.fail("vk", 200, {"error": {"error_code": 6, "error_msg": "Too many requests"}})
    vk(client, event("wall_reply_new", REPLY), capture=capture)
    signal = _answer(Signal.objects.get(), analyst, executor, agency, capture)
    answer = ReplyDelivery.objects.get(reply__kind=Reply.Kind.FINAL)
    assert answer.state == OutboxState.RETRYING
    survey_delivery = ReplyDelivery.objects.get(reply__kind=Reply.Kind.SURVEY)
    ReplyDelivery.objects.filter(pk=answer.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    with time_machine.travel(timezone.now() + TEN_MINUTES):  # the survey is due, not the answer
        assert reply_delivery_send(delivery_id=survey_delivery.pk) is None
    survey_delivery.refresh_from_db()
    assert survey_delivery.state == OutboxState.PENDING and survey_delivery.attempts == 0
    assert all(ANSWER in call.body["message"] for call in standin.of("vk"))
    with time_machine.travel(timezone.now() + timedelta(hours=2)), capture(execute=True):
        outbound_sweep()  # the answer goes through first …
    with time_machine.travel(timezone.now() + timedelta(hours=3)), capture(execute=True):
        outbound_sweep()  # … then the survey
    survey_delivery.refresh_from_db()
    assert survey_delivery.state == OutboxState.DELIVERED
    calls = [call.body["message"] for call in standin.of("vk")]
    assert calls[-2] == ANSWER and citizen.status_url(signal) in calls[-1]
    assert standin.of("vk")[-1].body["reply_to_comment"] == "77"


def test_no_survey_follows_an_answer_that_never_arrived(
    region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    signal = SignalFactory(region=region, channel="vk", external_id="garbage")  # no way back
    source = SourceFactory(region=region, channel="widget")
    signal.source = source
    _answer(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    survey = Survey.objects.get(signal=signal)
    assert survey.state == Survey.State.NOT_ASKED and survey.question is None


def test_e_mail_asks_with_a_link(
    region, agency, analyst, executor, eager, django_capture_on_commit_callbacks
):
    source = SourceFactory(region=region, channel="email")
    signal = SignalFactory(region=region, source=source, channel="email",
                           author_contact="citizen@example.org")  # fmt: skip
    _answer(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    with (
        time_machine.travel(timezone.now() + TEN_MINUTES),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbound_sweep()
    assert [message.to for message in mail.outbox] == [["citizen@example.org"]] * 2
    assert citizen.status_url(signal) in mail.outbox[-1].body
    assert mail.outbox[-1].subject == f"Проблема по обращению {signal.number} решена?"


@pytest.mark.parametrize(
    ("channel", "contact", "state", "reason"),
    [
        ("pos", "", "not_asked", "платформа обратной связи сама"),
        ("api", "", "not_asked", "не оставил"),
        ("widget", "", "asked", ""),  # the survey waits on the status page of the receipt
    ],
)
def test_where_no_message_can_carry_it_the_signal_says_why(
    region, agency, analyst, executor, django_capture_on_commit_callbacks, channel, contact,
    state, reason,
):  # fmt: skip
    signal = SignalFactory(region=region, channel=channel, author_contact=contact)
    _answer(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    survey = Survey.objects.get(signal=signal)
    assert survey.state == state and reason in survey.reason.lower()
    assert survey.question is None
    kind = "survey_asked" if state == "asked" else "survey_not_asked"
    assert SignalEvent.objects.filter(signal=signal, kind=kind).exists()


def test_a_citizen_who_said_do_not_ask_is_not_asked_again(
    client, region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = SignalFactory(region=region, channel="widget", author_contact="+79001234567")
    _answer(first, analyst, executor, agency, capture)
    client.post(citizen.status_path(first), {"solved": "yes", "stop_asking": "on"})
    [opt_out] = SurveyOptOut.objects.all()
    assert "79001234567" not in opt_out.identity_hash  # a keyed hash, not the phone
    again = SignalFactory(region=region, channel="widget", author_contact=" +79001234567 ")
    _answer(again, analyst, executor, agency, capture)
    survey = Survey.objects.get(signal=again)
    assert survey.state == Survey.State.NOT_ASKED and "не спрашивать" in survey.reason


# --- the status page -------------------------------------------------------------------------


def test_the_status_page_shows_the_public_facts_only(
    client, region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    sla_defaults_install(region=region)
    signal = SignalFactory(region=region, channel="widget", author_name="Иван Секретов",
                           author_contact="+79990001122")  # fmt: skip
    drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)
    Note.objects.create(signal=signal, author=executor, text="Внутренняя заметка")
    signal.refresh_from_db()
    page = client.get(citizen.status_path(signal))
    assert page.status_code == 200
    html = page.content.decode()
    assert signal.number in html and "Администрация города" in html
    assert "Передано" in html or "В работе ответственного" in html
    assert "Срок ответа" in html
    for private in ("Иван Секретов", "+79990001122", "Внутренняя заметка", executor.username,
                    executor.get_full_name()):  # fmt: skip
        assert private not in html
    assert "Оператор персональных данных" in html or "оператор" in html.lower()
    wrong = reverse("citizen_status", args=[signal.number, "0" * 8 + "-0000-4000-8000-" + "0" * 12])
    assert client.get(wrong).status_code == 404
    assert client.get(f"/s/{signal.number}/not-a-key/").status_code == 404


def test_the_survey_on_the_page_is_answered_once_and_expires(
    client, region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    signal = SignalFactory(region=region, channel="widget")
    _answer(signal, analyst, executor, agency, django_capture_on_commit_callbacks)
    page = client.get(citizen.status_path(signal)).content.decode()
    assert ANSWER in page and "Проблема решена?" in page
    response = client.post(citizen.status_path(signal),
                           {"solved": "no", "comment": "Яма снова появилась"})  # fmt: skip
    assert response.status_code == 302
    followed = client.get(response["Location"]).content.decode()
    assert "ответ записан" in followed.lower()
    request = ReopenRequest.objects.get(signal=signal)
    assert request.comment == "Яма снова появилась"
    again = client.post(citizen.status_path(signal), {"solved": "yes"})
    assert "said=already" in again["Location"]
    assert Survey.objects.get(signal=signal).solved is False
    assert client.post(citizen.status_path(signal), {"solved": "maybe"}).status_code == 400

    later = SignalFactory(region=region, channel="widget")
    _answer(later, analyst, executor, agency, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = client.post(citizen.status_path(later), {"solved": "yes"})
        assert "said=expired" in response["Location"]
        assert "Время для ответа прошло" in client.get(response["Location"]).content.decode()
    assert Survey.objects.get(signal=later).state == Survey.State.ASKED


def test_the_status_page_is_rate_limited_per_address(client, region):
    signal = SignalFactory(region=region, channel="widget")
    codes = [client.get(citizen.status_path(signal)).status_code for _ in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429


def test_the_widget_receipt_gives_the_status_link(client, agency, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    SourceFactory(region=agency.region, channel="widget", agency=agency)
    response = client.post(reverse("widget", args=[agency.pk]),
                           {"consent": "on", "text": "Яма у подъезда, глубокая"})  # fmt: skip
    signal = Signal.objects.get()
    assert citizen.status_url(signal) in response.content.decode()


# --- the analysts decide ---------------------------------------------------------------------


def _refused_by_the_citizen(client, region, agency, analyst, executor, capture):  # type: ignore[no-untyped-def]
    sla_defaults_install(region=region)
    signal = SignalFactory(region=region, channel="widget")
    _answer(signal, analyst, executor, agency, capture)
    client.post(citizen.status_path(signal), {"solved": "no", "comment": "Не сделано"})
    signal.refresh_from_db()
    return signal


@time_machine.travel("2026-12-07 10:00 +05:00")  # working days either side (not the New Year)
def test_a_confirmed_request_reopens_into_a_new_cycle_and_tells_the_citizen(
    client, region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    signal = _refused_by_the_citizen(client, region, agency, analyst, executor,
                                     django_capture_on_commit_callbacks)  # fmt: skip
    first_due = signal.answer_due_at
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.reopen_request_confirm(signal=signal, actor=analyst)
    signal.refresh_from_db()
    assert signal.status == Status.IN_PROGRESS and signal.sla_cycle == 2
    assert signal.reopened_count == 1 and signal.answer_due_at > first_due
    assert ReopenRequest.objects.get().state == ReopenRequest.State.CONFIRMED
    notice = Reply.objects.get(signal=signal, kind=Reply.Kind.NOTICE)
    assert signal.number in notice.text and "снова в работе" in notice.text
    with pytest.raises(InvalidTransition):
        services.reopen_request_confirm(signal=signal, actor=analyst)  # decided already
    # The next final answer asks again, for the new cycle.
    reply = services.reply_submit(signal=signal, text="Переделали.", actor=executor)
    services.reply_approve(reply=reply, actor=analyst)
    assert list(Survey.objects.filter(signal=signal).values_list("cycle", flat=True)) == [1, 2]


def test_a_declined_request_needs_a_reason_that_the_citizen_is_told(
    client, region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    signal = _refused_by_the_citizen(client, region, agency, analyst, executor,
                                     django_capture_on_commit_callbacks)  # fmt: skip
    with pytest.raises(InvalidInput):
        services.reopen_request_decline(signal=signal, reason=" ", actor=analyst)
    services.reopen_request_decline(
        signal=signal, reason="Работы приняты комиссией 2 декабря", actor=analyst
    )
    signal.refresh_from_db()
    assert signal.status == Status.ANSWERED and signal.sla_cycle == 1
    request = ReopenRequest.objects.get()
    assert (request.state, request.decided_by) == (ReopenRequest.State.DECLINED, analyst)
    notice = Reply.objects.get(signal=signal, kind=Reply.Kind.NOTICE)
    assert "Работы приняты комиссией 2 декабря" in notice.text
    page = client.get(reverse("signals_app:signal_detail", args=[signal.number]))
    assert page.status_code == 302  # not logged in: the decision is staff's only


def test_the_signal_page_offers_the_decision_to_the_analyst_only(
    client, region, agency, analyst, executor, django_capture_on_commit_callbacks
):
    signal = _refused_by_the_citizen(client, region, agency, analyst, executor,
                                     django_capture_on_commit_callbacks)  # fmt: skip
    client.force_login(analyst)
    html = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "Запрос на возобновление ждёт решения" in html and "Не сделано" in html
    assert "reopen_confirm" in html and "reopen_decline" in html
    assert "/do/reopen/" not in html  # the plain reopening waits for the decision
    client.force_login(executor)
    html = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content.decode()
    assert "reopen_confirm" not in html
    response = client.post(
        reverse("signals_app:signal_action", args=[signal.number, "reopen_confirm"]),
        {"version": signal.version},
    )
    assert response.status_code == 403
    assert ReopenRequest.objects.get().state == ReopenRequest.State.PENDING


# --- the question that waited in vain --------------------------------------------------------


def _waiting(region, agency, analyst, executor):  # type: ignore[no-untyped-def]
    sla_defaults_install(region=region)
    signal = SignalFactory(region=region, channel="widget", author_contact="a@example.org")
    return drive(signal, Status.AWAITING_INFO, analyst=analyst, executor=executor, agency=agency)


@time_machine.travel("2026-12-07 10:00 +05:00", tick=False)  # a Monday
def test_an_unanswered_question_closes_the_signal_after_three_working_days(
    region, agency, analyst, executor
):
    signal = _waiting(region, agency, analyst, executor)
    question = Reply.objects.get(signal=signal, kind=Reply.Kind.QUESTION)
    # Three working days from Monday morning: Tuesday, Wednesday, Thursday, to its close.
    assert question.wait_until.isoformat() == "2026-12-10T13:00:00+00:00"  # 18:00 in UTC+5
    with time_machine.travel("2026-12-10 17:00 +05:00"):
        assert details_sweep() == 0  # not yet
    with time_machine.travel("2026-12-11 09:00 +05:00"):
        assert details_sweep() == 1
        assert details_sweep() == 0  # once
    signal.refresh_from_db()
    assert (signal.status, signal.closure) == (Status.CLOSED, Closure.NO_DETAILS)
    assert signal.sla_paused_at is not None  # it still waits for the details
    notice = Reply.objects.get(signal=signal, kind=Reply.Kind.NOTICE)
    assert "уточнение" in notice.text.lower() or "уточн" in notice.text
    assert ReplyDelivery.objects.get(reply=notice).target == {"to": "a@example.org"}
    moved = SignalEvent.objects.filter(signal=signal, kind="status_changed").latest("id")
    assert moved.actor_id is None and "не получено" in moved.reason

    # The details come late: back in work, not a reopening, the same cycle, the deadline moved
    # by the whole wait.
    due = signal.answer_due_at
    with time_machine.travel("2026-12-14 10:00 +05:00"):
        services.signal_details_came_late(signal=signal, actor=analyst)
    signal.refresh_from_db()
    assert (signal.status, signal.closure, signal.sla_cycle) == (Status.IN_PROGRESS, "", 1)
    assert signal.reopened_count == 0 and signal.sla_paused_at is None
    assert signal.answer_due_at > due


@time_machine.travel("2026-12-07 10:00 +05:00", tick=False)
def test_an_answered_or_repeated_question_never_closes_by_the_old_deadline(
    region, agency, analyst, executor
):
    signal = _waiting(region, agency, analyst, executor)
    with time_machine.travel("2026-12-08 10:00 +05:00"):
        services.signal_resume(signal=signal, actor=executor)
    with time_machine.travel("2026-12-09 10:00 +05:00"):
        services.signal_request_info(signal=signal, question="Ещё вопрос", actor=executor)
    with time_machine.travel("2026-12-11 11:00 +05:00"):
        assert details_sweep() == 0  # the first question's wait no longer counts
    with time_machine.travel("2026-12-15 11:00 +05:00"):
        assert details_sweep() == 1
    answered = _waiting(region, agency, analyst, executor)
    services.signal_citizen_wrote(signal=answered, text="Подъезд 2")
    with time_machine.travel("2026-12-16 11:00 +05:00"):
        assert details_sweep() == 0
    answered.refresh_from_db()
    assert answered.status == Status.IN_PROGRESS


def test_closing_for_want_of_details_is_an_action_of_the_centre(region, agency, analyst, executor):
    signal = _waiting(region, agency, analyst, executor)
    with pytest.raises(Exception) as refused:
        services.signal_close_without_details(signal=signal, actor=executor)
    assert "аналитик" in str(refused.value).lower()
    services.signal_close_without_details(signal=signal, actor=analyst)
    signal.refresh_from_db()
    with pytest.raises(InvalidTransition):  # reopen is not for this closing: resume is
        services.signal_reopen(signal=signal, reason="x", actor=analyst)
    assert re.search("уточн", str(Signal.objects.get(pk=signal.pk).get_closure_display()).lower())


# --- duplicates at the door ------------------------------------------------------------------


@pytest.fixture
def other_municipality(region):
    from tests.factories import MunicipalityFactory

    return MunicipalityFactory(region=region, name="Копейский городской округ")


def _open_nearby(region, agency, municipality, analyst, executor, text):  # type: ignore[no-untyped-def]
    signal = SignalFactory(region=region, channel="vk", municipality=municipality, text=text,
                           author_name="Пётр Соседов", author_contact="+79110000000")  # fmt: skip
    return drive(signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency)


def test_the_widget_shows_the_same_problem_reported_nearby_without_personal_data(
    client, region, agency, municipality, other_municipality, analyst, executor
):
    SourceFactory(region=region, channel="widget", agency=agency)
    same = _open_nearby(region, agency, municipality, analyst, executor,
                        "Огромная яма на дороге у дома 5 по улице Мира, машины бьют колёса")  # fmt: skip
    _open_nearby(region, agency, municipality, analyst, executor,
                 "Не вывозят мусор из контейнеров во дворе")  # fmt: skip
    elsewhere = SignalFactory(region=region, municipality=other_municipality,
                              text="Огромная яма на дороге у дома 5 по улице Мира")  # fmt: skip
    closed = _open_nearby(region, agency, municipality, analyst, executor,
                          "Яма на дороге у дома 5 по улице Мира снова")  # fmt: skip
    Signal.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    url = reverse("widget_similar", args=[agency.pk])
    typed = {"text": "Яма на дороге у дома 5 на улице Мира", "address": municipality.name}
    html = client.get(url, typed).content.decode()
    assert same.number in html and "Огромная яма на дороге" in html
    assert "мусор" not in html and elsewhere.number not in html and closed.number not in html
    assert "Соседов" not in html and "+7911" not in html
    assert client.get(url, {"text": "яма", "address": municipality.name}).content.strip() == b""
    # Hostile typing: a NUL, a huge text, tsquery syntax, bytes that are not UTF-8: never a 500.
    hostile = (
        "яма\x00 на дороге у дома 5 улица Мира",
        "яма " * 50_000,
        "'); DROP TABLE x; -- & | ! :* <-> яма дорога дом",
    )
    for text in hostile:
        response = client.get(url, {"text": text, "address": municipality.name + "\x00"})
        assert response.status_code == 200
    assert client.get(url + "?text=%ED%A0%80%FF+яма+на+дороге+у+дома+5").status_code == 200
    assert Signal.objects.count() == 4


def test_subscribing_instead_of_filing_again_is_once_and_brings_the_answer(
    client, region, agency, municipality, analyst, executor, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    SourceFactory(region=region, channel="widget", agency=agency)
    signal = _open_nearby(region, agency, municipality, analyst, executor,
                          "Огромная яма на дороге у дома 5 по улице Мира")  # fmt: skip
    url = reverse("widget_subscribe", args=[agency.pk])
    data = {"number": signal.number, "email": "Neighbour@Example.org", "consent": "on"}
    page = client.post(url, data)
    assert page.status_code == 200 and citizen.status_url(signal) in page.content.decode()
    client.post(url, data)  # twice: one subscription
    assert client.post(url, data | {"consent": ""}).status_code == 400
    [subscription] = signal.subscriptions.all()
    assert subscription.email == "neighbour@example.org" and subscription.consent["given"]
    assert SignalEvent.objects.filter(signal=signal, kind="subscribed").count() == 1
    client.force_login(analyst)
    detail = client.get(reverse("signals_app:signal_detail", args=[signal.number])).content
    assert "1 гражданин с той же проблемой" in detail.decode()

    reply = services.reply_submit(signal=signal, text=ANSWER, actor=executor)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_approve(reply=reply, actor=analyst)
    news = [message for message in mail.outbox if message.to == ["neighbour@example.org"]]
    assert len(news) == 1 and ANSWER in news[0].body and signal.number in news[0].subject
    subscription.refresh_from_db()
    assert subscription.notified_at is not None
    closed_now = SignalFactory(region=region, channel="widget")
    Signal.objects.filter(pk=closed_now.pk).update(status=Status.CLOSED)
    refused = client.post(url, data | {"number": closed_now.number})
    assert refused.status_code == 400


def test_subscribers_count_towards_a_mass_incident():
    from signals_app.ingest.mass import find_clusters

    rows = [(1, "Нет воды в доме 5 по улице Мира", 7, False),
            (2, "Нет воды в доме 5 по улице Мира!", 7, False)]  # fmt: skip
    assert find_clusters(rows) == []  # two reports are not five
    [cluster] = find_clusters(rows, joined={1: 2, 2: 1})  # … two reports and three citizens are
    assert cluster.signal_ids == [1, 2]
