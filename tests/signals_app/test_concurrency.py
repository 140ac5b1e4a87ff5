"""Two users at once, on two real database connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from signals_app.choices import Status
from signals_app.errors import ConflictError, WorkflowError
from signals_app.models import Signal, SignalEvent
from signals_app.workflow import services

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    """Run the calls in parallel threads (each with its own connection); return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_route_and_reject_at_once_end_with_one_success_and_one_conflict(
    new_signal, analyst, agency, region
):
    from tests.conftest import _centre_user

    second = _centre_user("analyst_two", "analyst", region)
    seen = new_signal.version
    outcomes = _race(
        lambda: services.signal_route(
            signal=new_signal.pk, agency=agency, actor=analyst, expected_version=seen
        ),
        lambda: services.signal_reject(
            signal=new_signal.pk, reason="Спам", actor=second, expected_version=seen
        ),
    )
    successes = [o for o in outcomes if isinstance(o, Signal)]
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(successes) == 1, outcomes
    assert len(conflicts) == 1, outcomes
    signal = Signal.objects.get(pk=new_signal.pk)
    assert signal.status == successes[0].status
    assert signal.version == seen + 1
    status_events = SignalEvent.objects.filter(signal=signal, kind=SignalEvent.Kind.STATUS_CHANGED)
    assert status_events.count() == 1


def test_without_a_version_the_loser_sees_the_new_state_not_a_lost_update(
    new_signal, analyst, agency, region
):
    from tests.conftest import _centre_user

    second = _centre_user("analyst_two", "analyst", region)
    outcomes = _race(
        lambda: services.signal_reject(signal=new_signal.pk, reason="Спам", actor=analyst),
        lambda: services.signal_route(signal=new_signal.pk, agency=agency, actor=second),
    )
    errors = [o for o in outcomes if isinstance(o, WorkflowError)]
    # Either order is fine, but the second writer works on the first one's result: if routing
    # came second it finds a rejected signal and is refused; if rejecting came second it is
    # refused because a signal in work cannot be rejected.
    assert len(errors) == 1, outcomes
    signal = Signal.objects.get(pk=new_signal.pk)
    assert signal.status in (Status.REJECTED, Status.IN_PROGRESS)
    assert (
        SignalEvent.objects.filter(signal=signal, kind=SignalEvent.Kind.STATUS_CHANGED).count() == 1
    )


def test_concurrent_creation_numbers_have_no_gaps_and_no_duplicates(region):
    outcomes = _race(
        *[
            (lambda i=i: services.signal_create(region=region, channel="vk", text=f"Жалоба {i}"))
            for i in range(8)
        ]
    )
    assert all(isinstance(o, Signal) for o in outcomes), outcomes
    numbers = sorted(Signal.objects.filter(region=region).values_list("number", flat=True))
    year = numbers[0].split("-")[1]
    assert numbers == [f"74-{year}-{n:06d}" for n in range(1, 9)]
