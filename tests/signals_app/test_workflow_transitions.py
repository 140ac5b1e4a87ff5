"""Every legal move of DESIGN.md §4 and a sample of illegal ones."""

from __future__ import annotations

import pytest

from signals_app.choices import Status
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.models import Reply, SignalEvent
from signals_app.workflow import services
from signals_app.workflow.transitions import TRANSITIONS, transition_for
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db


def test_the_table_is_exactly_the_design():
    moves = {(t.source.value, t.target.value) for t in TRANSITIONS}
    assert moves == {
        ("new", "in_progress"), ("new", "reply_review"), ("new", "rejected"),
        ("in_progress", "awaiting_info"), ("in_progress", "reply_review"),
        ("awaiting_info", "in_progress"), ("awaiting_info", "rejected"),
        ("awaiting_info", "closed"),  # the details never came (the citizen's loop)
        ("reply_review", "answered"), ("reply_review", "in_progress"),
        ("answered", "closed"), ("answered", "in_progress"),
        ("closed", "in_progress"), ("rejected", "new"),
    }  # fmt: skip


def _status_events(signal):
    return list(
        SignalEvent.objects.filter(signal=signal, kind=SignalEvent.Kind.STATUS_CHANGED)
        .order_by("id")
        .values_list("from_status", "to_status", "actor__username", "reason")
    )


# (start status, the call that makes the move, expected target, expected actor, reason)
LEGAL_MOVES = [
    ("new", "route", "in_progress", "analyst", ""),
    ("new", "centre_answer", "reply_review", "analyst", ""),
    ("new", "reject", "rejected", "analyst", "Спам"),
    ("in_progress", "request_info", "awaiting_info", "executor", "Уточните адрес"),
    ("in_progress", "submit", "reply_review", "executor", ""),
    ("awaiting_info", "take", "in_progress", "executor", ""),
    ("awaiting_info", "reject", "rejected", "analyst", "Спам"),
    ("reply_review", "approve", "answered", "analyst", ""),
    ("reply_review", "return", "in_progress", "analyst", "Добавьте сроки"),
    ("answered", "close", "closed", "analyst", ""),
    ("answered", "reopen", "in_progress", "analyst", "Не решено"),
    ("closed", "reopen", "in_progress", "analyst", "Не решено"),
    ("rejected", "restore", "new", "analyst", ""),
]


def _do(call, signal, *, analyst, executor):
    if call == "route":
        raise AssertionError("route is driven separately")
    if call == "centre_answer":
        services.reply_submit(signal=signal, text="Ответ центра", actor=analyst)
    elif call == "reject":
        services.signal_reject(signal=signal, reason="Спам", actor=analyst)
    elif call == "request_info":
        services.signal_request_info(signal=signal, question="Уточните адрес", actor=executor)
    elif call == "submit":
        services.reply_submit(signal=signal, text="Готово", actor=executor)
    elif call == "take":
        services.signal_take(signal=signal, actor=executor)
    elif call == "approve":
        services.reply_approve(reply=signal.replies.get(state=Reply.State.SUBMITTED), actor=analyst)
    elif call == "return":
        services.reply_return(
            reply=signal.replies.get(state=Reply.State.SUBMITTED),
            comment="Добавьте сроки",
            actor=analyst,
        )
    elif call == "close":
        services.signal_close(signal=signal, actor=analyst)
    elif call == "reopen":
        services.signal_reopen(signal=signal, reason="Не решено", actor=analyst)
    elif call == "restore":
        services.signal_restore(signal=signal, actor=analyst)


@pytest.mark.parametrize(("start", "call", "target", "who", "reason"), LEGAL_MOVES)
def test_every_legal_move_writes_one_event(
    start, call, target, who, reason, new_signal, analyst, executor, agency
):
    signal = drive(new_signal, start, analyst=analyst, executor=executor, agency=agency)
    before = _status_events(signal)
    version = signal.version
    if call == "route":
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    else:
        _do(call, signal, analyst=analyst, executor=executor)
    signal.refresh_from_db()
    assert signal.status == target
    assert signal.version > version
    after = _status_events(signal)
    assert after[: len(before)] == before
    assert after[len(before) :] == [(start, target, who, reason)]


def test_same_status_is_a_no_op(new_signal, analyst):
    events = SignalEvent.objects.filter(signal=new_signal).count()
    services.signal_transition(signal=new_signal, to_status=Status.NEW, actor=analyst)
    new_signal.refresh_from_db()
    assert new_signal.version == 1
    assert SignalEvent.objects.filter(signal=new_signal).count() == events


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "answered"),
        ("new", "closed"),
        ("new", "awaiting_info"),
        ("in_progress", "new"),
        ("in_progress", "closed"),
        ("awaiting_info", "answered"),
        ("reply_review", "closed"),
        ("reply_review", "rejected"),
        ("answered", "rejected"),
        ("closed", "new"),
        ("rejected", "in_progress"),
        ("rejected", "closed"),
    ],
)
def test_illegal_moves_raise_and_write_nothing(
    start, target, new_signal, analyst, executor, agency
):
    assert transition_for(start, target) is None
    signal = drive(new_signal, start, analyst=analyst, executor=executor, agency=agency)
    events = SignalEvent.objects.filter(signal=signal).count()
    version = signal.version
    with pytest.raises(InvalidTransition):
        services.signal_transition(signal=signal, to_status=target, actor=None, reason="x")
    signal.refresh_from_db()
    assert signal.status == start
    assert signal.version == version
    assert SignalEvent.objects.filter(signal=signal).count() == events


def test_reject_without_reason_is_refused(new_signal, analyst):
    with pytest.raises(InvalidInput):
        services.signal_reject(signal=new_signal, reason="   ", actor=analyst)
    new_signal.refresh_from_db()
    assert new_signal.status == Status.NEW
    assert not SignalEvent.objects.filter(signal=new_signal, to_status=Status.REJECTED).exists()


def test_reopen_counts_and_restore_clears_the_reason(new_signal, analyst, executor, agency):
    signal = drive(new_signal, Status.CLOSED, analyst=analyst, executor=executor, agency=agency)
    assert signal.resolved_at is not None
    services.signal_reopen(signal=signal, reason="Не решено", actor=analyst)
    signal.refresh_from_db()
    assert (signal.status, signal.reopened_count, signal.resolved_at) == (
        Status.IN_PROGRESS,
        1,
        None,
    )

    rejected = drive(
        services.signal_create(region=signal.region, channel="vk", text="Спам"),
        Status.REJECTED, analyst=analyst, executor=executor, agency=agency,
    )  # fmt: skip
    assert rejected.rejection_reason == "Спам"
    services.signal_restore(signal=rejected, actor=analyst)
    rejected.refresh_from_db()
    assert (rejected.status, rejected.rejection_reason) == (Status.NEW, "")


def test_returning_a_centre_answer_without_agency_is_refused(new_signal, analyst):
    reply = services.reply_submit(signal=new_signal, text="Ответ центра", actor=analyst)
    with pytest.raises(InvalidInput):
        services.reply_return(reply=reply, comment="Переделать", actor=analyst)
    reply.refresh_from_db()
    new_signal.refresh_from_db()
    assert reply.state == Reply.State.SUBMITTED
    assert new_signal.status == Status.REPLY_REVIEW


def test_approving_a_final_reply_answers_and_publishes(new_signal, analyst, executor, agency):
    signal = drive(
        new_signal, Status.REPLY_REVIEW, analyst=analyst, executor=executor, agency=agency
    )
    reply = signal.replies.get()
    services.reply_approve(reply=reply, actor=analyst)
    reply.refresh_from_db()
    signal.refresh_from_db()
    assert reply.state == Reply.State.PUBLISHED
    assert reply.published_at is not None
    assert signal.answered_at == reply.published_at
    assert signal.reacted_at is not None


def test_a_second_reply_while_one_waits_is_refused(new_signal, analyst, executor, agency):
    signal = drive(
        new_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency
    )
    services.reply_submit(
        signal=signal, text="Промежуточный", kind=Reply.Kind.INTERIM, actor=executor
    )
    with pytest.raises(InvalidInput):
        services.reply_submit(
            signal=signal, text="Ещё один", kind=Reply.Kind.INTERIM, actor=executor
        )
    assert signal.replies.count() == 1
