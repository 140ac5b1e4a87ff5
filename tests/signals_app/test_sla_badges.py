"""The queue's SLA badge and the signal page's deadlines speak each term's own clock: working
days, working hours or calendar time, the due moment on hover, a paused clock apart."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agencies.services import calendar_default_for_region, calendar_sync
from signals_app.models import Signal
from signals_app.ui.selectors import queue_for_user, queue_rows
from tests.factories import SignalFactory
from tests.signals_app.test_sla_engine import YEKT, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sla_region(region):
    from signals_app.sla.defaults import sla_defaults_install

    calendar_sync(calendar=calendar_default_for_region(region=region), year=2026)
    sla_defaults_install(region=region)
    return region


def row_of(user, signal):
    [row] = queue_rows(list(queue_for_user(user=user).filter(pk=signal.pk)), user=user)
    return row


def test_a_working_days_term_reads_in_working_days(analyst, sla_region):
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=YEKT), tick=False):  # Monday
        signal = SignalFactory(region=sla_region, channel="pos", posted_at=at(2026, 11, 23, 10, 0))
    with time_machine.travel(datetime(2026, 11, 23, 11, tzinfo=YEKT), tick=False):
        row = row_of(analyst, signal)
        # 1 working day of reaction: due Tuesday 18:00, not «24 ч 00 мин» nor «31 ч».
        assert row.badge_text == "1 раб. дн."
        assert "срок реакции 24.11.2026 18:00" in row.badge_title
    with time_machine.travel(datetime(2026, 11, 24, 15, 30, tzinfo=YEKT), tick=False):
        assert row_of(analyst, signal).badge_text == "2 раб. ч 30 мин"  # inside the last day


def test_a_working_hours_term_reads_in_working_hours_and_stands_still_overnight(
    analyst, sla_region
):
    with time_machine.travel(datetime(2026, 11, 23, 16, tzinfo=YEKT), tick=False):
        signal = SignalFactory(region=sla_region, channel="vk", posted_at=at(2026, 11, 23, 16, 0))
    with time_machine.travel(datetime(2026, 11, 23, 16, 40, tzinfo=YEKT), tick=False):
        assert row_of(analyst, signal).badge_text == "20 раб. мин"
    with time_machine.travel(datetime(2026, 11, 23, 23, 0, tzinfo=YEKT), tick=False):
        row = row_of(analyst, signal)
        assert row.badge_text == "−1 раб. ч 00 мин"  # 17:00 to 18:00 of working time
        assert row.badge_title.startswith("Просрочено на 1 раб. ч 00 мин · срок реакции")


def test_a_calendar_term_reads_in_calendar_time(analyst, sla_region):
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=YEKT), tick=False):
        signal = SignalFactory(region=sla_region, channel="email")
    with time_machine.travel(datetime(2026, 11, 23, 12, tzinfo=YEKT), tick=False):
        assert row_of(analyst, signal).badge_text == "2 дн 22 ч"  # 3 calendar days of reaction


def test_a_paused_clock_is_its_own_state(client, analyst, sla_region):
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=YEKT), tick=False):
        signal = SignalFactory(region=sla_region, channel="vk", posted_at=at(2026, 11, 23, 10, 0))
        Signal.objects.filter(pk=signal.pk).update(sla_paused_at=timezone.now())
        row = row_of(analyst, signal)
        assert (row.badge.state, row.badge_text) == ("paused", "на паузе")
        assert row.badge_title.startswith("Часы остановлены с 23.11.2026 10:00")
        client.force_login(analyst)
        page = client.get(reverse("signals_app:signal_list"), {"view": ""}).content.decode()
        assert 'class="sla sla-paused"' in page
