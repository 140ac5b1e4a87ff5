"""The production calendar against the official counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from agencies.models import CalendarDay, WorkCalendar
from agencies.services import calendar_default_for_region, calendar_sync, working_days_count

pytestmark = pytest.mark.django_db


def _kinds(calendar, year):
    return dict(
        CalendarDay.objects.filter(calendar=calendar, date__year=year).values_list("date", "kind")
    )


def test_2026_has_247_working_days_and_the_official_days_off(region):
    call_command("calendar_sync", region="74", year=[2026])
    calendar = WorkCalendar.objects.get(region=region, is_default=True)
    assert working_days_count(calendar=calendar, year=2026) == 247
    kinds = _kinds(calendar, 2026)
    for day_off in (date(2026, 1, 9), date(2026, 3, 9), date(2026, 5, 11), date(2026, 12, 31)):
        assert kinds[day_off] in ("holiday", "day_off"), day_off
    assert kinds[date(2026, 1, 9)] == "day_off"  # transferred from 3 January
    assert kinds[date(2026, 1, 1)] == "holiday"
    shortened = sorted(d for d, k in kinds.items() if k == "shortened")
    assert shortened == [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)]


def test_2027_has_a_working_saturday_on_20_february(region):
    call_command("calendar_sync", region="74", year=[2027])
    calendar = WorkCalendar.objects.get(region=region, is_default=True)
    kinds = _kinds(calendar, 2027)
    assert kinds[date(2027, 2, 20)] == "working"
    assert kinds[date(2027, 2, 22)] == "day_off"
    assert kinds[date(2027, 2, 23)] == "holiday"
    # 2027: 261 weekdays − 15 weekday days off + 1 working Saturday
    assert working_days_count(calendar=calendar, year=2027) == 247


def test_sync_is_idempotent_and_keeps_manual_exceptions(region):
    calendar = calendar_default_for_region(region=region)
    first = calendar_sync(calendar=calendar, year=2026)
    assert first.created > 0
    # A regional day off entered by hand, and a hand edit of a synced day.
    CalendarDay.objects.create(
        calendar=calendar, date=date(2026, 9, 1), kind="day_off", name="Региональный выходной"
    )
    CalendarDay.objects.filter(calendar=calendar, date=date(2026, 4, 30)).update(
        origin="manual", kind="day_off", shortened_by_minutes=0
    )
    again = calendar_sync(calendar=calendar, year=2026)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert again.kept_manual == 1
    kinds = _kinds(calendar, 2026)
    assert kinds[date(2026, 9, 1)] == "day_off"
    assert kinds[date(2026, 4, 30)] == "day_off"
    assert working_days_count(calendar=calendar, year=2026) == 245


def test_sync_rejects_an_unknown_region(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("calendar_sync", region="99", year=[2026])
    assert not WorkCalendar.objects.exists()
