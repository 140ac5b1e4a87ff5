"""The permission matrix: each role × each action, allowed and refused."""

from __future__ import annotations

import pytest

from signals_app.choices import Status
from signals_app.errors import ActionForbidden
from signals_app.models import Reply, SignalEvent
from signals_app.workflow import services
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db

ROLES = [
    "analyst",
    "supervisor",
    "executor",
    "coordinator",
    "outsider_executor",
    "foreign_analyst",
    "nobody",
]


def _route(signal, actor, ctx):
    services.signal_route(signal=signal, agency=ctx["agency"], actor=actor)


def _reject(signal, actor, ctx):
    services.signal_reject(signal=signal, reason="Спам", actor=actor)


def _restore(signal, actor, ctx):
    services.signal_restore(signal=signal, actor=actor)


def _take(signal, actor, ctx):
    services.signal_take(signal=signal, actor=actor)


def _request_info(signal, actor, ctx):
    services.signal_request_info(signal=signal, question="Уточните", actor=actor)


def _submit(signal, actor, ctx):
    services.reply_submit(signal=signal, text="Ответ", actor=actor)


def _approve(signal, actor, ctx):
    services.reply_approve(reply=signal.replies.get(state=Reply.State.SUBMITTED), actor=actor)


def _return(signal, actor, ctx):
    services.reply_return(
        reply=signal.replies.get(state=Reply.State.SUBMITTED), comment="Доработать", actor=actor
    )


def _close(signal, actor, ctx):
    services.signal_close(signal=signal, actor=actor)


def _reopen(signal, actor, ctx):
    services.signal_reopen(signal=signal, reason="Не решено", actor=actor)


def _assign(signal, actor, ctx):
    services.signal_assign(signal=signal, assignee=ctx["executor"], actor=actor)


def _note(signal, actor, ctx):
    services.note_add(signal=signal, text="Заметка", actor=actor)


# action → (status the signal is in, the call, roles that may do it)
MATRIX = {
    "route": (Status.NEW, _route, {"analyst"}),
    "reject": (Status.NEW, _reject, {"analyst"}),
    "restore": (Status.REJECTED, _restore, {"analyst"}),
    "take": (Status.IN_PROGRESS, _take, {"executor", "coordinator"}),
    "request_info": (Status.IN_PROGRESS, _request_info, {"executor", "coordinator"}),
    "submit_reply": (Status.IN_PROGRESS, _submit, {"executor", "coordinator"}),
    "approve_reply": (Status.REPLY_REVIEW, _approve, {"analyst"}),
    "return_reply": (Status.REPLY_REVIEW, _return, {"analyst"}),
    "close": (Status.ANSWERED, _close, {"analyst"}),
    "reopen": (Status.CLOSED, _reopen, {"analyst"}),
    "assign": (Status.IN_PROGRESS, _assign, {"analyst", "coordinator"}),
    "note": (Status.IN_PROGRESS, _note, {"analyst", "executor", "coordinator"}),
}

CASES = [(action, role) for action in MATRIX for role in ROLES]


@pytest.fixture
def users(
    request, analyst, supervisor, executor, coordinator, outsider_executor, foreign_analyst, nobody
):
    return {
        "analyst": analyst,
        "supervisor": supervisor,
        "executor": executor,
        "coordinator": coordinator,
        "outsider_executor": outsider_executor,
        "foreign_analyst": foreign_analyst,
        "nobody": nobody,
    }


@pytest.mark.parametrize(("action", "role"), CASES)
def test_permission_matrix(action, role, users, new_signal, agency):
    status, call, allowed = MATRIX[action]
    signal = drive(
        new_signal, status, analyst=users["analyst"], executor=users["executor"], agency=agency
    )
    events = SignalEvent.objects.filter(signal=signal).count()
    version = signal.version
    ctx = {"agency": agency, "executor": users["executor"]}
    if role in allowed:
        call(signal, users[role], ctx)
        signal.refresh_from_db()
        # A note is not a change of the signal, so it does not bump the version.
        assert signal.version > version or action == "note"
        assert SignalEvent.objects.filter(signal=signal).count() > events
    else:
        with pytest.raises(ActionForbidden):
            call(signal, users[role], ctx)
        signal.refresh_from_db()
        assert signal.status == status
        assert signal.version == version
        assert SignalEvent.objects.filter(signal=signal).count() == events


def test_parent_agency_coordinator_may_act_on_child_agency_signals(
    new_signal, analyst, coordinator, child_agency
):
    services.signal_route(signal=new_signal, agency=child_agency, actor=analyst)
    services.signal_take(signal=new_signal, actor=coordinator)
    new_signal.refresh_from_db()
    assert new_signal.assignee == coordinator


def test_the_centre_answers_by_itself_but_agency_staff_cannot_answer_a_new_signal(
    new_signal, analyst, executor
):
    with pytest.raises(ActionForbidden):
        services.reply_submit(signal=new_signal, text="Ответ", actor=executor)
    assert not new_signal.replies.exists()
    services.reply_submit(signal=new_signal, text="Ответ центра", actor=analyst)
    new_signal.refresh_from_db()
    assert new_signal.status == Status.REPLY_REVIEW


def test_an_executor_cannot_take_a_signal_assigned_to_a_colleague(
    new_signal, analyst, coordinator, executor, agency
):
    services.signal_route(signal=new_signal, agency=agency, actor=analyst, assignee=coordinator)
    from signals_app.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.signal_take(signal=new_signal, actor=executor)
    new_signal.refresh_from_db()
    assert new_signal.assignee == coordinator
