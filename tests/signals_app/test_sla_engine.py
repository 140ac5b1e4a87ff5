"""SLA engine on the database: deadlines, recompute, pauses, extension, explanation, recalc."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from agencies.services import calendar_default_for_region, calendar_sync
from signals_app.choices import Status
from signals_app.errors import ActionForbidden, InvalidInput
from signals_app.models import Reply, SignalEvent, SLAPolicy
from signals_app.sla.defaults import sla_defaults_install
from signals_app.sla.engine import PolicyCandidate, policy_match
from signals_app.sla.policies import sla_policy_publish
from signals_app.sla.recalculate import sla_recalculate_policy
from signals_app.sla.selectors import sla_explain
from signals_app.workflow import services
from tests.factories import CategoryFactory, SignalFactory

pytestmark = pytest.mark.django_db
YEKT = ZoneInfo("Asia/Yekaterinburg")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=YEKT)


@pytest.fixture
def sla_region(region):
    calendar = calendar_default_for_region(region=region)
    for year in (2026, 2027):
        calendar_sync(calendar=calendar, year=year)
    sla_defaults_install(region=region)
    return region


# --- matching (pure) ---------------------------------------------------------------------------


def test_the_most_specific_policy_wins_then_the_order():
    generic = PolicyCandidate(1, (), None, "", 1000)
    social = PolicyCandidate(2, ("vk", "ok"), None, "", 10)
    topic = PolicyCandidate(3, (), 50, "", 10)
    subtopic = PolicyCandidate(4, (), 51, "", 10)
    social_critical = PolicyCandidate(5, ("vk",), None, "critical", 10)
    early_social = PolicyCandidate(6, ("vk",), None, "", 5)
    everything = [generic, social, topic, subtopic, social_critical]

    def match(candidates, **kw):
        params = {"channel": "vk", "category_id": None, "topic_id": None, "priority": "normal"} | kw
        return policy_match(candidates, **params)

    assert match(everything, channel="pos") == generic
    assert match(everything) == social
    assert (
        match(everything, category_id=50) == social
    )  # topic (1) ties social (1): lower order, older
    assert match(everything, category_id=51, topic_id=50) == subtopic  # subtopic counts 2
    assert match(everything, priority="critical") == social_critical
    assert match([*everything, early_social]) == early_social  # same specificity, lower order
    assert match([social], channel="pos") is None


# --- deadlines on creation ---------------------------------------------------------------------


@time_machine.travel(at(2026, 11, 27, 16, 30), tick=False)  # Friday, closes 16:45
def test_a_social_signal_gets_its_deadlines_on_creation(sla_region):
    signal = SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 27, 16, 30))
    assert signal.sla_version.policy.name == "Социальные сети"
    assert signal.reaction_due_at == at(2026, 11, 30, 9, 45)  # 15 min Friday + 45 min Monday
    # 8 working hours: 15 min on Friday, 09:00–13:00 and 13:48–17:33 on Monday.
    assert signal.answer_due_at == at(2026, 11, 30, 17, 33)
    assert signal.next_deadline_at == signal.reaction_due_at
    assert signal.sla_next_check_at is not None
    event = SignalEvent.objects.get(signal=signal, kind="sla_assigned")
    assert event.changes["version"] == 1


def test_no_policy_means_no_deadline(region):
    signal = SignalFactory(region=region, channel="vk")
    assert (signal.sla_version, signal.answer_due_at, signal.sla_next_check_at) == (
        None,
        None,
        None,
    )


@time_machine.travel(at(2026, 11, 24, 10, 0), tick=False)
def test_a_category_change_recomputes_running_deadlines_and_says_old_to_new(
    sla_region, analyst, executor, agency
):
    topic = CategoryFactory(region=sla_region, code="gas", name="Газ")
    urgent = SLAPolicy.objects.create(
        region=sla_region, name="Газ — срочно", category=topic, order=1,
        reaction_duration=timedelta(minutes=30), answer_duration=timedelta(hours=2),
    )  # fmt: skip
    sla_policy_publish(policy=urgent)
    signal = SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 24, 10, 0))
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    services.signal_take(signal=signal, actor=executor)  # reaction fulfilled at 10:00
    signal.refresh_from_db()
    reaction_due, answer_due = signal.reaction_due_at, signal.answer_due_at

    services.signal_change_category(signal=signal, category=topic, actor=analyst)
    signal.refresh_from_db()
    assert signal.sla_version.policy == urgent
    assert signal.reaction_due_at == reaction_due  # fulfilled: keeps its time
    assert signal.answer_due_at == at(2026, 11, 24, 12, 0)
    event = SignalEvent.objects.filter(signal=signal, kind="sla_recomputed").last()
    assert event.changes["due"]["answer"] == [
        answer_due.isoformat(),
        signal.answer_due_at.isoformat(),
    ]


def test_pause_and_resume_twice_shift_the_answer_by_the_working_time_paused(
    sla_region, analyst, executor, agency
):
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):  # Tuesday
        signal = SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 24, 9, 0))
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    signal.refresh_from_db()
    original = signal.answer_due_at
    assert original == at(2026, 11, 24, 17, 48)
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        services.signal_request_info(signal=signal, question="Адрес?", actor=executor)
    signal.refresh_from_db()
    assert signal.sla_paused_at == at(2026, 11, 24, 11, 0)
    assert signal.sla_next_check_at is None  # a paused clock escalates nothing
    with time_machine.travel(at(2026, 11, 24, 14, 0), tick=False):  # 2 h 12 min of work paused
        services.signal_take(signal=signal, actor=executor)
    with time_machine.travel(at(2026, 11, 24, 15, 0), tick=False):
        services.signal_request_info(signal=signal, question="Подъезд?", actor=executor)
    with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):  # 1 h more
        services.signal_take(signal=signal, actor=executor)
    signal.refresh_from_db()
    assert signal.sla_paused_working == timedelta(hours=3, minutes=12)
    assert signal.sla_paused_at is None
    # 17:48 + 3 h 12 min of working time: 12 min on Tuesday, 3 h on Wednesday from 09:00.
    assert signal.answer_due_at == at(2026, 11, 25, 12, 0)
    assert SignalEvent.objects.filter(signal=signal, kind="sla_resumed").count() == 2


@time_machine.travel(at(2026, 11, 24, 10, 0), tick=False)
def test_an_appeal_deadline_is_extended_once_with_a_reason(
    sla_region, analyst, coordinator, executor, agency
):
    signal = SignalFactory(region=sla_region, channel="email", received_at=at(2026, 11, 24, 10, 0))
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    signal.refresh_from_db()
    assert signal.answer_due_at == at(2026, 12, 24, 10, 0)  # 30 calendar days
    with pytest.raises(InvalidInput):
        services.signal_deadline_extend(signal=signal, reason=" ", actor=coordinator)
    with pytest.raises(ActionForbidden):
        services.signal_deadline_extend(
            signal=signal, reason="Запрос в другой орган", actor=executor
        )
    services.signal_deadline_extend(
        signal=signal, reason="Запрос в другой орган", actor=coordinator
    )
    signal.refresh_from_db()
    assert signal.answer_due_at == at(2027, 1, 23, 10, 0)
    draft = Reply.objects.get(signal=signal, state=Reply.State.DRAFT)
    assert "23.01.2027" in draft.text
    with pytest.raises(InvalidInput):
        services.signal_deadline_extend(signal=signal, reason="Ещё раз", actor=analyst)
    signal.refresh_from_db()
    assert signal.answer_due_at == at(2027, 1, 23, 10, 0)
    assert SignalEvent.objects.filter(signal=signal, kind="sla_extended").count() == 1


def test_social_networks_cannot_be_extended(sla_region, analyst):
    signal = SignalFactory(region=sla_region, channel="vk")
    with pytest.raises(InvalidInput):
        services.signal_deadline_extend(signal=signal, reason="Причина", actor=analyst)
    assert not SignalEvent.objects.filter(signal=signal, kind="sla_extended").exists()


def test_the_explanation_names_policy_start_clock_pauses_and_result(
    sla_region, analyst, executor, agency
):
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        signal = SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 24, 9, 0))
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        services.signal_request_info(signal=signal, question="?", actor=executor)
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        services.signal_take(signal=signal, actor=executor)
    signal.refresh_from_db()
    explanation = sla_explain(signal)
    assert explanation["policy"]["name"] == "Социальные сети"
    assert explanation["policy"]["version"] == 1
    assert datetime.fromisoformat(explanation["start"]) == at(2026, 11, 24, 9, 0)
    assert explanation["time_zone"] == "Asia/Yekaterinburg"
    assert len(explanation["pauses"]) == 1
    answer = next(d for d in explanation["deadlines"] if d["kind"] == "answer")
    assert answer["clock"] == "working_hours"
    assert datetime.fromisoformat(answer["base_due"]) == at(2026, 11, 24, 17, 48)
    # + 1 working hour paused: 12 minutes on Tuesday, 48 on Wednesday morning.
    assert datetime.fromisoformat(answer["due"]) == at(2026, 11, 25, 9, 48)


def test_recalculation_gives_open_signals_the_new_version_in_batches(
    sla_region, analyst, executor, agency
):
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        open_signals = [
            SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 24, 9, 0))
            for _ in range(3)
        ]
        closed = SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 24, 9, 0))
        services.signal_reject(signal=closed, reason="Спам", actor=analyst)
    policy = SLAPolicy.objects.get(region=sla_region, name="Социальные сети")
    policy.answer_duration = timedelta(hours=4)
    policy.save()
    sla_policy_publish(policy=policy)
    # A new signal gets version 2 at once; open ones only through the recalculation.
    open_signals[0].refresh_from_db()
    assert open_signals[0].sla_version.number == 1
    result = sla_recalculate_policy(policy_id=policy.pk, batch_size=2)
    assert result == {"checked": 3, "changed": 3}
    for signal in open_signals:
        signal.refresh_from_db()
        assert signal.sla_version.number == 2
        assert signal.answer_due_at == at(2026, 11, 24, 13, 0)  # 4 working hours end at lunch
        assert SignalEvent.objects.filter(signal=signal, kind="sla_recomputed").count() == 1
    closed.refresh_from_db()
    assert closed.sla_version.number == 1
    assert sla_recalculate_policy(policy_id=policy.pk) == {"checked": 0, "changed": 0}


def test_reopening_starts_a_new_cycle(sla_region, analyst, executor, agency):
    from tests.signals_app.helpers import drive

    signal = drive(
        SignalFactory(region=sla_region, channel="vk"),
        Status.CLOSED,
        analyst=analyst,
        executor=executor,
        agency=agency,
    )
    assert signal.sla_cycle == 1
    assert signal.next_deadline_at is None
    services.signal_reopen(signal=signal, reason="Не решено", actor=analyst)
    signal.refresh_from_db()
    assert signal.sla_cycle == 2
    assert signal.answered_at is None
    assert signal.answer_due_at > signal.sla_started_at
    assert signal.next_deadline_at == signal.answer_due_at


@time_machine.travel(at(2026, 11, 24, 10, 0), tick=False)
def test_a_channel_correction_rematches_the_policy(sla_region, analyst, executor):
    signal = SignalFactory(region=sla_region, channel="vk", received_at=at(2026, 11, 24, 10, 0))
    assert signal.sla_version.policy.name == "Социальные сети"
    services.signal_change_channel(signal=signal, channel="email", actor=analyst)
    signal.refresh_from_db()
    assert signal.sla_version.policy.name == "Обращения по 59-ФЗ"
    assert signal.answer_due_at == at(2026, 12, 24, 10, 0)
    assert SignalEvent.objects.filter(signal=signal, kind="channel_changed").get().changes == {
        "channel": ["vk", "email"]
    }
    assert SignalEvent.objects.filter(signal=signal, kind="sla_recomputed").exists()
    with pytest.raises(InvalidInput):
        services.signal_change_channel(signal=signal, channel="fax", actor=analyst)
    with pytest.raises(ActionForbidden):
        services.signal_change_channel(signal=signal, channel="vk", actor=executor)
    signal.refresh_from_db()
    assert signal.channel == "email"
