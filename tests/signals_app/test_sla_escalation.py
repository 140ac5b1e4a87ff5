"""The escalation ladder and the sweep: each level once, never for paused or fulfilled clocks."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connections

from agencies.models import Role
from agencies.services import calendar_default_for_region, calendar_sync
from config.celery import app as celery_app
from signals_app.models import Escalation, Notification, Signal, SignalEvent
from signals_app.sla.defaults import sla_defaults_install
from signals_app.sla.sweep import sla_sweep_batch
from signals_app.workflow import services
from tests.conftest import _centre_user
from tests.factories import SignalFactory

YEKT = ZoneInfo("Asia/Yekaterinburg")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=YEKT)


@pytest.fixture
def ladder(region, municipality, agency, analyst, executor, coordinator):
    calendar = calendar_default_for_region(region=region)
    for year in (2026, 2027):
        calendar_sync(calendar=calendar, year=year)
    sla_defaults_install(region=region)
    curator = _centre_user("curator", Role.ANALYST, region)
    curator.curated_municipalities.add(municipality)
    supervisor = _centre_user("boss", Role.SUPERVISOR, region)
    for user in (executor, coordinator, curator, supervisor):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return {"curator": curator, "supervisor": supervisor}


def _routed_signal(region, municipality, agency, analyst, executor, received=None):
    received = received or at(2026, 11, 24, 9, 0)  # Tuesday; the answer is due 17:48
    with time_machine.travel(received, tick=False):
        signal = SignalFactory(
            region=region, channel="vk", municipality=municipality, received_at=received
        )
        services.signal_route(signal=signal, agency=agency, actor=analyst, assignee=executor)
    # The assignment's own notice is the setup's, not the sweep's: these tests count the sweep's.
    Notification.objects.filter(signal=signal, kind="assigned").delete()
    signal.refresh_from_db()
    return signal


def _sweep_all(now):
    fired = 0
    with time_machine.travel(now, tick=False):
        while True:
            result = sla_sweep_batch(now=now, batch_size=50)
            fired += result.fired
            if not result.more:
                return fired


@pytest.mark.django_db
def test_levels_fire_in_turn_and_each_only_once(
    ladder, region, municipality, agency, analyst, executor, coordinator
):
    signal = _routed_signal(region, municipality, agency, analyst, executor)
    assert _sweep_all(at(2026, 11, 24, 12, 0)) == 0  # before 50 %
    assert _sweep_all(at(2026, 11, 24, 13, 0)) == 1  # 50 %: 4 of 8 working hours
    assert _sweep_all(at(2026, 11, 24, 13, 30)) == 0  # a retry a minute later: nothing new
    assert _sweep_all(at(2026, 11, 24, 16, 30)) == 1  # 80 %
    assert _sweep_all(at(2026, 11, 24, 17, 48)) == 1  # 100 %: overdue
    assert _sweep_all(at(2026, 11, 25, 18, 0)) == 1  # breach + 1 working day
    assert _sweep_all(at(2026, 11, 26, 10, 0)) == 0
    signal.refresh_from_db()
    assert list(signal.escalations.order_by("level").values_list("level", "target")) == [
        (1, "assignee"), (2, "coordinators"), (3, "curators"), (4, "supervisors"),
    ]  # fmt: skip
    assert (signal.escalation_level, signal.is_overdue, signal.priority) == (4, True, "high")
    recipients = list(
        Notification.objects.filter(signal=signal, kind="escalation")
        .order_by("id")
        .values_list("user__username", flat=True)
    )
    assert recipients == ["executor", "coordinator", "curator", "boss"]
    assert signal.sla_next_check_at is None
    assert SignalEvent.objects.filter(signal=signal, kind="escalated").count() == 4


@pytest.mark.django_db
def test_a_forced_retry_of_a_fired_step_fires_nothing(
    ladder, region, municipality, agency, analyst, executor
):
    signal = _routed_signal(region, municipality, agency, analyst, executor)
    assert _sweep_all(at(2026, 11, 24, 13, 0)) == 1
    # As if the sweep had crashed after firing but before storing the next check.
    Signal.objects.filter(pk=signal.pk).update(sla_next_check_at=at(2026, 11, 24, 12, 0))
    with time_machine.travel(at(2026, 11, 24, 13, 5), tick=False):
        result = sla_sweep_batch(now=at(2026, 11, 24, 13, 5))
    assert (result.checked, result.fired, result.notifications) == (1, 0, 0)
    assert Escalation.objects.filter(signal=signal).count() == 1
    assert Notification.objects.filter(signal=signal, kind="escalation").count() == 1


@pytest.mark.django_db
def test_no_escalation_while_paused_or_after_the_answer(
    ladder, region, municipality, agency, analyst, executor
):
    paused = _routed_signal(region, municipality, agency, analyst, executor)
    answered = _routed_signal(region, municipality, agency, analyst, executor)
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        services.signal_request_info(signal=paused, question="Адрес?", actor=executor)
        reply = services.reply_submit(signal=answered, text="Сделано", actor=executor)
        services.reply_approve(reply=reply, actor=analyst)
    # Stale check times, as if computed before the pause and the answer.
    Signal.objects.filter(pk__in=[paused.pk, answered.pk]).update(
        sla_next_check_at=at(2026, 11, 24, 13, 0)
    )
    assert _sweep_all(at(2026, 11, 30, 12, 0)) == 0
    assert not Escalation.objects.exists()
    assert not Notification.objects.filter(
        kind="escalation"
    ).exists()  # the review notice is not the sweep's
    assert Signal.objects.get(pk=paused.pk).sla_next_check_at is None


@pytest.mark.django_db
def test_a_reopened_signal_escalates_again_in_a_new_cycle(
    ladder, region, municipality, agency, analyst, executor
):
    signal = _routed_signal(region, municipality, agency, analyst, executor)
    assert _sweep_all(at(2026, 11, 24, 13, 0)) == 1
    with time_machine.travel(at(2026, 11, 24, 14, 0), tick=False):
        reply = services.reply_submit(signal=signal, text="Сделано", actor=executor)
        services.reply_approve(reply=reply, actor=analyst)
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        services.signal_reopen(signal=signal, reason="Не решено", actor=analyst)
    assert _sweep_all(at(2026, 11, 25, 13, 0)) == 1  # 50 % of the new cycle's 8 hours
    assert list(signal.escalations.order_by("id").values_list("cycle", "level")) == [(1, 1), (2, 1)]


@pytest.mark.django_db
def test_one_digest_email_per_recipient_per_sweep(
    ladder, region, municipality, agency, analyst, executor, django_capture_on_commit_callbacks
):
    for _ in range(3):
        _routed_signal(region, municipality, agency, analyst, executor)
    celery_app.conf.task_always_eager = True
    try:
        with (
            time_machine.travel(at(2026, 11, 24, 13, 0), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = sla_sweep_batch(now=at(2026, 11, 24, 13, 0))
    finally:
        celery_app.conf.task_always_eager = False
    assert result.fired == 3
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["executor@example.org"]
    assert message.body.count("•") == 3
    assert "3" in message.subject
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_user_without_email_still_gets_the_in_app_notification(
    ladder, region, municipality, agency, analyst, executor, django_capture_on_commit_callbacks
):
    executor.email = ""
    executor.save(update_fields=["email"])
    _routed_signal(region, municipality, agency, analyst, executor)
    celery_app.conf.task_always_eager = True
    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            time_machine.travel(at(2026, 11, 24, 13, 0), tick=False),
        ):
            sla_sweep_batch(now=at(2026, 11, 24, 13, 0))
    finally:
        celery_app.conf.task_always_eager = False
    assert mail.outbox == []
    assert Notification.objects.filter(user=executor, read_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_an_unassigned_signal_reminds_the_coordinators(
    ladder, region, municipality, agency, analyst, coordinator
):
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        signal = SignalFactory(
            region=region,
            channel="vk",
            municipality=municipality,
            received_at=at(2026, 11, 24, 9, 0),
        )
        services.signal_route(signal=signal, agency=agency, actor=analyst)
    assert _sweep_all(at(2026, 11, 24, 13, 0)) == 1
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["coordinator"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_neither_double_fire_nor_block(
    region, municipality, agency, analyst, executor
):
    calendar = calendar_default_for_region(region=region)
    calendar_sync(calendar=calendar, year=2026)
    sla_defaults_install(region=region)
    signals = [_routed_signal(region, municipality, agency, analyst, executor) for _ in range(12)]
    now = at(2026, 11, 24, 13, 0)
    barrier = threading.Barrier(2)
    fired = [0, 0]
    errors: list[BaseException] = []

    def sweep(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            while True:
                result = sla_sweep_batch(now=now, batch_size=3)
                fired[index] += result.fired
                if not result.checked:
                    return
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(fired) == len(signals)
    assert Escalation.objects.count() == len(signals)
    assert Notification.objects.count() == len(signals)
    assert not Signal.objects.filter(sla_next_check_at__lte=now).exists()
    assert set(Signal.objects.values_list("escalation_level", flat=True)) == {1}


@pytest.mark.django_db
def test_the_sweep_task_re_enqueues_itself_while_full_batches_remain(
    ladder, region, municipality, agency, analyst, executor, monkeypatch
):
    from signals_app.sla import sweep as sweep_module
    from signals_app.sla import tasks

    for _ in range(3):
        _routed_signal(region, municipality, agency, analyst, executor)
    real_batch = sweep_module.sla_sweep_batch
    calls = []

    def small_batch(**kwargs):
        calls.append(1)
        return real_batch(
            now=at(2026, 11, 24, 13, 0), batch_size=1, digest=kwargs.get("digest", True)
        )

    monkeypatch.setattr(tasks, "sla_sweep_batch", small_batch)
    monkeypatch.setattr(tasks, "SWEEP_BATCHES_PER_RUN", 1)
    celery_app.conf.task_always_eager = True
    try:
        with time_machine.travel(at(2026, 11, 24, 13, 0), tick=False):
            tasks.sla_sweep.delay()
    finally:
        celery_app.conf.task_always_eager = False
    assert Escalation.objects.count() == 3
    assert len(calls) == 4  # three full batches, then one that finds nothing more
    # Every fired step is mailed once: the digests mail what is due (here the eager runs nest,
    # so the innermost run's digest carries all three), never one e-mail per step twice.
    assert sum(message.body.count("•") for message in mail.outbox) == 3


@pytest.mark.django_db
def test_one_digest_for_a_whole_sweep_run_of_several_batches(
    ladder, region, municipality, agency, analyst, executor, monkeypatch
):
    from signals_app.sla import sweep as sweep_module
    from signals_app.sla import tasks

    for _ in range(4):
        _routed_signal(region, municipality, agency, analyst, executor)
    real_batch = sweep_module.sla_sweep_batch
    monkeypatch.setattr(
        tasks,
        "sla_sweep_batch",
        lambda **kwargs: real_batch(
            now=at(2026, 11, 24, 13, 0), batch_size=1, digest=kwargs.get("digest", True)
        ),
    )
    celery_app.conf.task_always_eager = True
    try:
        with time_machine.travel(at(2026, 11, 24, 13, 0), tick=False):
            tasks.sla_sweep.delay()
    finally:
        celery_app.conf.task_always_eager = False
    assert Escalation.objects.count() == 4
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body.count("•") == 4


@pytest.mark.django_db
def test_an_escalation_is_a_change_an_old_form_cannot_overwrite(
    client, ladder, region, municipality, agency, analyst, executor, coordinator
):
    """The coordinator opens the signal, the sweep raises its priority (breach + one working
    day), the coordinator submits the form opened before: a conflict, not a silent revert."""
    from django.urls import reverse

    signal = _routed_signal(region, municipality, agency, analyst, executor)
    seen = signal.version
    _sweep_all(at(2026, 11, 25, 18, 0))  # every step up to "breach + 1 working day"
    signal.refresh_from_db()
    assert signal.priority == "high" and signal.version > seen
    client.force_login(coordinator)
    with time_machine.travel(at(2026, 11, 25, 18, 5), tick=False):
        response = client.post(
            reverse("signals_app:signal_action", args=[signal.number, "priority"]),
            {"priority": "normal", "version": seen},
        )
    assert response.status_code == 409
    signal.refresh_from_db()
    assert signal.priority == "high"
    assert not signal.events.filter(kind="priority_changed").exists()
    # One sweep that fired the four steps at once is one change of the signal.
    assert signal.events.filter(kind="escalated").count() == 4
    assert signal.version == seen + 1
