"""What the services must not do: each refusal raises a clear error and writes nothing."""

from __future__ import annotations

import pytest

from agencies.models import Membership
from signals_app.choices import Status
from signals_app.errors import ConflictError, InvalidInput, InvalidTransition
from signals_app.models import (
    Note,
    Reply,
    Signal,
    SignalEvent,
)
from signals_app.workflow import services
from tests.factories import AgencyFactory, CategoryFactory, UserFactory
from tests.signals_app.helpers import drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def unchanged(new_signal):
    """Snapshot the signal and its timeline; call it after the refusal to compare."""
    before = (
        new_signal.pk,
        SignalEvent.objects.count(),
        Reply.objects.count(),
        Note.objects.count(),
    )

    def check(signal: Signal) -> None:
        fresh = Signal.objects.get(pk=signal.pk)
        assert fresh.version == signal.version
        assert fresh.status == signal.status
        assert fresh.agency_id == signal.agency_id
        assert fresh.assignee_id == signal.assignee_id
        assert fresh.category_id == signal.category_id
        assert fresh.priority == signal.priority
        assert (SignalEvent.objects.count(), Reply.objects.count(), Note.objects.count()) == before[
            1:
        ]

    return check


def test_routing_to_an_agency_of_another_region_is_refused(
    new_signal, analyst, other_region, unchanged
):
    with pytest.raises(InvalidInput, match="другому региону"):
        services.signal_route(
            signal=new_signal, agency=AgencyFactory(region=other_region), actor=analyst
        )
    unchanged(new_signal)


def test_routing_to_an_inactive_agency_is_refused(new_signal, analyst, region, unchanged):
    closed = AgencyFactory(region=region, is_active=False)
    with pytest.raises(InvalidInput):
        services.signal_route(signal=new_signal, agency=closed, actor=analyst)
    unchanged(new_signal)


def test_a_finished_signal_cannot_be_routed(new_signal, analyst, executor, agency, other_agency):
    signal = drive(new_signal, Status.CLOSED, analyst=analyst, executor=executor, agency=agency)
    events = SignalEvent.objects.filter(signal=signal).count()
    with pytest.raises(InvalidTransition):
        services.signal_route(signal=signal, agency=other_agency, actor=analyst)
    signal.refresh_from_db()
    assert signal.agency == agency
    assert SignalEvent.objects.filter(signal=signal).count() == events


def test_rerouting_keeps_the_status_and_records_the_move(
    new_signal, analyst, executor, agency, other_agency
):
    signal = drive(
        new_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency
    )
    services.signal_route(
        signal=signal, agency=other_agency, actor=analyst, reason="Не наша территория"
    )
    signal.refresh_from_db()
    assert (signal.status, signal.agency) == (Status.IN_PROGRESS, other_agency)
    routed = SignalEvent.objects.filter(signal=signal, kind="routed").order_by("id").last()
    assert routed.changes["agency"] == [agency.pk, other_agency.pk]
    assert routed.reason == "Не наша территория"


def test_routing_twice_to_the_same_agency_is_a_no_op(new_signal, analyst, executor, agency):
    signal = drive(
        new_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency
    )
    events = SignalEvent.objects.filter(signal=signal).count()
    services.signal_route(signal=signal, agency=agency, actor=analyst)
    signal.refresh_from_db()
    assert SignalEvent.objects.filter(signal=signal).count() == events


def test_assigning_someone_outside_the_agency_is_refused(
    new_signal, analyst, executor, agency, outsider_executor
):
    signal = drive(
        new_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency
    )
    with pytest.raises(InvalidInput):
        services.signal_assign(signal=signal, assignee=outsider_executor, actor=analyst)
    signal.refresh_from_db()
    assert signal.assignee_id is None


def test_assigning_a_new_signal_is_refused(new_signal, analyst, unchanged):
    member = UserFactory(username="member")
    with pytest.raises(InvalidTransition):
        services.signal_assign(signal=new_signal, assignee=member, actor=analyst)
    unchanged(new_signal)


def test_coordinator_assigns_and_the_event_records_it(
    new_signal, analyst, coordinator, executor, agency
):
    signal = drive(
        new_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency
    )
    services.signal_assign(signal=signal, assignee=executor, actor=coordinator)
    signal.refresh_from_db()
    assert signal.assignee == executor
    event = SignalEvent.objects.filter(signal=signal, kind="assigned").get()
    assert (event.actor, event.changes["assignee"]) == (coordinator, [None, executor.pk])
    assert Membership.objects.filter(user=executor, agency=agency).exists()


def test_category_of_another_region_is_refused(new_signal, analyst, other_region, unchanged):
    with pytest.raises(InvalidInput):
        services.signal_change_category(
            signal=new_signal, category=CategoryFactory(region=other_region), actor=analyst
        )
    unchanged(new_signal)


def test_category_change_is_recorded_old_to_new(new_signal, analyst, region):
    old = new_signal.category_id
    fresh = CategoryFactory(region=region, code="roads", name="Дороги")
    services.signal_change_category(signal=new_signal, category=fresh, actor=analyst)
    event = SignalEvent.objects.get(signal=new_signal, kind="category_changed")
    assert event.changes == {"category": [old, fresh.pk]}


def test_unknown_priority_is_refused(new_signal, analyst, unchanged):
    with pytest.raises(InvalidInput):
        services.signal_change_priority(signal=new_signal, priority="urgent", actor=analyst)
    unchanged(new_signal)


def test_empty_note_and_empty_reply_are_refused(new_signal, analyst, unchanged):
    with pytest.raises(InvalidInput):
        services.note_add(signal=new_signal, text="  ", actor=analyst)
    with pytest.raises(InvalidInput):
        services.reply_submit(signal=new_signal, text="", actor=analyst)
    unchanged(new_signal)


def test_a_signal_without_text_is_not_created(region):
    with pytest.raises(InvalidInput):
        services.signal_create(region=region, channel="vk", text="   ")
    assert not Signal.objects.exists()


def test_approving_with_a_stale_version_is_a_conflict(new_signal, analyst, executor, agency):
    signal = drive(
        new_signal, Status.REPLY_REVIEW, analyst=analyst, executor=executor, agency=agency
    )
    reply = signal.replies.get()
    with pytest.raises(ConflictError):
        services.reply_approve(reply=reply, actor=analyst, expected_version=signal.version - 1)
    reply.refresh_from_db()
    signal.refresh_from_db()
    assert reply.state == Reply.State.SUBMITTED
    assert signal.status == Status.REPLY_REVIEW


def test_a_published_reply_cannot_be_approved_again(new_signal, analyst, executor, agency):
    signal = drive(new_signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
    reply = signal.replies.get()
    events = SignalEvent.objects.filter(signal=signal).count()
    with pytest.raises(InvalidTransition):
        services.reply_approve(reply=reply, actor=analyst)
    assert SignalEvent.objects.filter(signal=signal).count() == events


def test_an_interim_reply_does_not_change_the_status_but_counts_as_reaction(
    new_signal, analyst, executor, agency
):
    signal = drive(
        new_signal, Status.IN_PROGRESS, analyst=analyst, executor=executor, agency=agency
    )
    reply = services.reply_submit(
        signal=signal, text="Заявка принята", kind=Reply.Kind.INTERIM, actor=executor
    )
    services.reply_approve(reply=reply, actor=analyst)
    signal.refresh_from_db()
    assert signal.status == Status.IN_PROGRESS
    assert signal.reacted_at is not None
    assert signal.answered_at is None
