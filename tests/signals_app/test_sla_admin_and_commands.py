"""Editing policies in the admin makes versions; the commands; digests that fail are retried."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from agencies.services import calendar_default_for_region
from config.celery import app as celery_app
from signals_app.models import Notification, SLAPolicy, SLAPolicyVersion
from signals_app.sla.defaults import sla_defaults_install
from signals_app.sla.notifications import notifications_email_due
from tests.factories import SignalFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(region):
    calendar_default_for_region(region=region)
    sla_defaults_install(region=region)
    return SLAPolicy.objects.get(region=region, name="Социальные сети")


def _form_data(policy, **changes):
    steps = list(policy.steps.order_by("level"))
    data = {
        "region": policy.region_id,
        "name": policy.name,
        "channels": ["vk", "ok", "telegram"],
        "priority": "",
        "order": policy.order,
        "clock_start": policy.clock_start,
        "is_active": "on",
        "reaction_duration_0": "1",
        "reaction_duration_1": "hours",
        "reaction_clock": "working_hours",
        "answer_duration_0": "8",
        "answer_duration_1": "hours",
        "answer_clock": "working_hours",
        "resolution_duration_0": "",
        "resolution_duration_1": "days",
        "resolution_clock": "working_days",
        "pausing_statuses": ["awaiting_info"],
        "extension_duration_0": "",
        "extension_duration_1": "days",
        "extension_clock": "calendar",
        "info_wait_duration_0": "5",
        "info_wait_duration_1": "days",
        "info_wait_clock": "working_days",
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": len(steps),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
    }
    for index, step in enumerate(steps):
        prefix = f"steps-{index}-"
        data |= {
            prefix + "id": step.pk,
            prefix + "policy": policy.pk,
            prefix + "deadline": step.deadline,
            prefix + "level": step.level,
            prefix + "at_percent": step.at_percent or "",
            prefix + "after_breach": "1 00:00:00" if step.after_breach else "",
            prefix + "after_breach_clock": step.after_breach_clock,
            prefix + "target": step.target,
            prefix + "notify": "on",
        }
    return data | changes


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_saving_a_policy_in_the_admin_publishes_a_new_version(admin_client, policy):
    url = reverse("admin:signals_app_slapolicy_change", args=[policy.pk])
    response = admin_client.post(url, _form_data(policy, answer_duration_0="240",
                                                 answer_duration_1="minutes"))  # fmt: skip
    errors = response.context and response.context["adminform"].form.errors
    assert response.status_code == 302, errors
    policy.refresh_from_db()
    assert policy.version == 2
    latest = SLAPolicyVersion.objects.get(policy=policy, number=2)
    assert latest.terms["deadlines"]["answer"]["seconds"] == 4 * 3600
    # How long a question waits for the citizen is frozen with the version too.
    assert latest.terms["info_wait"] == {"seconds": 5 * 86400, "clock": "working_days"}
    assert latest.created_by.username == "root"
    assert (
        SLAPolicyVersion.objects.get(policy=policy, number=1).terms["deadlines"]["answer"][
            "seconds"
        ]
        == 8 * 3600
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channels": ["vk", "fax"]}, "Выберите корректный вариант. fax"),
        ({"pausing_statuses": ["sleeping"]}, "Выберите корректный вариант. sleeping"),
        ({"answer_duration_0": "0"}, "Срок должен быть положительным."),
        ({"answer_duration_0": "30 минут"}, "Введите целое число, например 30."),
        ({"steps-0-after_breach": "1 00:00:00"}, "либо долю срока"),
    ],
)
def test_bad_policy_input_is_explained_not_saved(admin_client, policy, changes, message):
    url = reverse("admin:signals_app_slapolicy_change", args=[policy.pk])
    response = admin_client.post(url, _form_data(policy, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    policy.refresh_from_db()
    assert policy.version == 1
    assert SLAPolicyVersion.objects.filter(policy=policy).count() == 1


def test_recalculate_command_runs_now_or_queues(policy, capsys):
    signal = SignalFactory(region=policy.region, channel="vk")
    policy.answer_duration = timedelta(hours=2)
    policy.save()
    from signals_app.sla.policies import sla_policy_publish

    sla_policy_publish(policy=policy)
    call_command("sla_recalculate", policy=policy.pk, now=True)
    assert "checked 1, changed 1" in capsys.readouterr().out
    signal.refresh_from_db()
    assert signal.sla_version.number == 2
    celery_app.conf.task_always_eager = True
    try:
        call_command("sla_recalculate", policy=policy.pk)
    finally:
        celery_app.conf.task_always_eager = False
    assert "queued" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("sla_recalculate", policy=999999)


def test_defaults_command_is_idempotent(region, capsys):
    calendar_default_for_region(region=region)
    call_command("sla_defaults", region="74")
    call_command("sla_defaults", region="74")
    assert SLAPolicy.objects.filter(region=region).count() == 4
    assert SLAPolicyVersion.objects.filter(policy__region=region).count() == 4
    with pytest.raises(CommandError):
        call_command("sla_defaults", region="99")


def test_a_failed_digest_gives_its_notifications_back_for_the_retry(policy, analyst, monkeypatch):
    analyst.email = "analyst@example.org"
    analyst.save(update_fields=["email"])
    signal = SignalFactory(region=policy.region, channel="vk")
    note = Notification.objects.create(user=analyst, signal=signal, kind="escalation", title="Срок")

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("signals_app.sla.notifications._send", refuse)
    assert notifications_email_due().failed == 1
    note.refresh_from_db()
    assert (note.emailed_at, note.email_claimed_at) == (None, None)
    monkeypatch.undo()
    assert notifications_email_due().sent == 1
    assert notifications_email_due().sent == 0  # never twice


def test_the_policy_form_ticks_lists_and_shows_units(admin_client, policy):
    page = admin_client.get(reverse("admin:signals_app_slapolicy_change", args=[policy.pk]))
    html = page.content.decode()
    assert 'type="checkbox" name="channels" value="vk"' in html and "ВКонтакте" in html
    assert 'type="checkbox" name="pausing_statuses" value="awaiting_info"' in html
    assert 'name="answer_duration_0" value="8"' in html
    assert '<option value="hours" selected>часов</option>' in html
    add = admin_client.get(reverse("admin:signals_app_slapolicy_add")).content.decode()
    assert "Добавить политику сроков" in add
