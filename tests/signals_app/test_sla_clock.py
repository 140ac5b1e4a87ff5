"""Deadline arithmetic at the edges, and its properties (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.services import DEFAULT_WEEK, production_calendar
from signals_app.sla.clock import (
    Clock,
    DayException,
    DayKind,
    NoWorkingTime,
    WorkSchedule,
    add,
    elapsed,
    next_working_instant,
)

YEARS = (2025, 2026, 2027)
EXCEPTIONS = {
    day: DayException(DayKind(kind), minutes)
    for year in YEARS
    for day, (kind, _name, minutes) in production_calendar(year).items()
}


def schedule(zone: str = "Asia/Yekaterinburg") -> WorkSchedule:
    return WorkSchedule(zone, DEFAULT_WEEK, EXCEPTIONS)


CHELYABINSK = schedule()
H = timedelta(hours=1)


def local(*args: int, zone: WorkSchedule = CHELYABINSK) -> datetime:
    return datetime(*args, tzinfo=zone.zone)


def test_friday_evening_counts_from_monday_morning():
    # Friday closes at 16:45; 17:00 is outside working hours.
    assert add(local(2026, 11, 27, 17, 0), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 11, 30, 10, 0
    )
    assert add(local(2026, 11, 27, 16, 15), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 11, 30, 9, 30
    )


def test_new_year_holidays_are_skipped():
    # 30 Dec 2025 closes at 18:00; 31 Dec 2025 and 1–11 Jan 2026 are not working days.
    assert add(local(2025, 12, 30, 17, 0), 2 * H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 1, 12, 10, 0
    )


def test_8_and_9_march_2026_are_days_off():
    assert add(local(2026, 3, 6, 16, 0), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 3, 10, 9, 15
    )


def test_the_working_saturday_of_20_february_2027_counts():
    assert add(local(2027, 2, 19, 16, 30), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2027, 2, 20, 9, 45
    )
    # …and 22–23 February are off: Saturday's remainder continues on the 24th.
    assert add(local(2027, 2, 20, 17, 30), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2027, 2, 24, 9, 30
    )


def test_a_shortened_pre_holiday_day_closes_an_hour_earlier():
    # 30 April 2026 closes at 17:00; 1–3 May are off.
    assert add(local(2026, 4, 30, 16, 30), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 5, 4, 9, 30
    )
    periods = CHELYABINSK.periods_on(date(2026, 4, 30))
    assert periods[-1][1] == local(2026, 4, 30, 17, 0)


def test_a_start_during_lunch_counts_from_the_end_of_lunch():
    start = local(2026, 11, 24, 13, 20)
    assert next_working_instant(CHELYABINSK, start) == local(2026, 11, 24, 13, 48)
    assert add(start, timedelta(minutes=30), Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 11, 24, 14, 18
    )


def test_a_deadline_ending_at_lunch_stays_at_the_start_of_lunch():
    assert add(local(2026, 11, 24, 12, 0), H, Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 11, 24, 13, 0
    )


def test_elapsed_across_the_year_boundary():
    # 30 Dec 2026 17:00–18:00, then nothing until Monday 11 Jan 2027 09:00–10:00.
    assert (
        elapsed(local(2026, 12, 30, 17), local(2027, 1, 11, 10), Clock.WORKING_HOURS, CHELYABINSK)
        == 2 * H
    )


@pytest.mark.parametrize(
    ("zone", "expected_utc"),
    [
        ("Europe/Kaliningrad", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),  # 07:00 local → 10:00
        ("Europe/Moscow", datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),  # 08:00 local → 10:00
        ("Asia/Yekaterinburg", datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),  # 10:00 local → 11:00
        ("Asia/Kamchatka", datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),  # 17:00 local → 18:00
    ],
)
def test_the_same_utc_instant_in_regions_from_utc_plus_2_to_plus_12(zone, expected_utc):
    start = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert add(start, H, Clock.WORKING_HOURS, schedule(zone)) == expected_utc


def test_working_days_start_the_next_day_and_end_at_close():
    start = local(2026, 11, 30, 10, 0)  # Monday
    assert add(start, timedelta(days=1), Clock.WORKING_DAYS, CHELYABINSK) == local(
        2026, 12, 1, 18, 0
    )
    assert add(start, timedelta(days=10), Clock.WORKING_DAYS, CHELYABINSK) == local(
        2026, 12, 14, 18, 0
    )
    # The 4th working day after Thursday 2026-12-24 is Wednesday the 30th (31 Dec is off).
    assert add(
        local(2026, 12, 24, 12), timedelta(days=4), Clock.WORKING_DAYS, CHELYABINSK
    ) == local(2026, 12, 30, 18)


def test_sixty_days_in_each_clock():
    start = local(2026, 11, 2, 9, 30)
    assert add(start, timedelta(days=60), Clock.CALENDAR, CHELYABINSK) == start + timedelta(days=60)
    # 60 working days from Monday 2 Nov 2026: 19 in November (4 Nov is a holiday), 22 in
    # December (31 Dec is off), 15 in January (from the 11th), then 1–4 February.
    end = add(start, timedelta(days=60), Clock.WORKING_DAYS, CHELYABINSK)
    assert end == local(2027, 2, 4, 18, 0)
    assert elapsed(start, end, Clock.WORKING_DAYS, CHELYABINSK) == timedelta(days=60)
    hours = add(start, timedelta(hours=480), Clock.WORKING_HOURS, CHELYABINSK)
    assert elapsed(start, hours, Clock.WORKING_HOURS, CHELYABINSK) == timedelta(hours=480)


def test_minutes():
    start = local(2026, 11, 24, 9, 0)
    assert add(start, timedelta(minutes=1), Clock.WORKING_HOURS, CHELYABINSK) == local(
        2026, 11, 24, 9, 1
    )


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="aware"):
        add(datetime(2026, 1, 1, 9), H, Clock.WORKING_HOURS, CHELYABINSK)
    with pytest.raises(ValueError, match="negative"):
        add(local(2026, 11, 24, 9), -H, Clock.WORKING_HOURS, CHELYABINSK)
    with pytest.raises(ValueError, match="whole"):
        add(local(2026, 11, 24, 9), H, Clock.WORKING_DAYS, CHELYABINSK)
    with pytest.raises(NoWorkingTime):
        add(local(2026, 11, 24, 9), H, Clock.WORKING_HOURS, WorkSchedule("Europe/Moscow", {}))


# --- properties ----------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2027, 3, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(second=0, microsecond=0))
working_minutes = st.integers(min_value=0, max_value=60 * 8 * 45).map(
    lambda m: timedelta(minutes=m)
)
working_days = st.integers(min_value=0, max_value=60).map(lambda d: timedelta(days=d))
zones = st.sampled_from(
    ["Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Kamchatka"]
)
SCHEDULES = {
    name: schedule(name)
    for name in ("Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Kamchatka")
}
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _in_working_time(moment: datetime, work: WorkSchedule) -> bool:
    day = moment.astimezone(work.zone).date()
    return any(start <= moment <= end for start, end in work.periods_on(day))


@PROPERTY
@given(start=starts, duration=working_minutes, zone=zones)
def test_a_working_hours_deadline_never_lies_in_non_working_time(start, duration, zone):
    work = SCHEDULES[zone]
    result = add(start, duration, Clock.WORKING_HOURS, work)
    assert duration == timedelta(0) or _in_working_time(result, work)


@PROPERTY
@given(start=starts, a=working_minutes, b=working_minutes, zone=zones)
def test_adding_a_then_b_equals_adding_a_plus_b_in_working_hours(start, a, b, zone):
    work = SCHEDULES[zone]
    once = add(start, a + b, Clock.WORKING_HOURS, work)
    twice = add(add(start, a, Clock.WORKING_HOURS, work), b, Clock.WORKING_HOURS, work)
    assert once == twice


@PROPERTY
@given(start=starts, a=working_days, b=working_days, zone=zones)
def test_adding_a_then_b_equals_adding_a_plus_b_in_working_days(start, a, b, zone):
    work = SCHEDULES[zone]
    once = add(start, a + b, Clock.WORKING_DAYS, work)
    twice = add(add(start, a, Clock.WORKING_DAYS, work), b, Clock.WORKING_DAYS, work)
    assert once == twice


@PROPERTY
@given(start=starts, duration=working_minutes, zone=zones)
def test_elapsed_undoes_add_in_working_hours(start, duration, zone):
    work = SCHEDULES[zone]
    assert (
        elapsed(start, add(start, duration, Clock.WORKING_HOURS, work), Clock.WORKING_HOURS, work)
        == duration
    )


@PROPERTY
@given(start=starts, duration=working_days, zone=zones)
def test_elapsed_undoes_add_in_working_days(start, duration, zone):
    work = SCHEDULES[zone]
    assert (
        elapsed(start, add(start, duration, Clock.WORKING_DAYS, work), Clock.WORKING_DAYS, work)
        == duration
    )


@PROPERTY
@given(start=starts, duration=st.integers(0, 60 * 24 * 60).map(lambda m: timedelta(minutes=m)))
def test_calendar_clock_is_plain_time(start, duration):
    assert add(start, duration, Clock.CALENDAR, CHELYABINSK) == start + duration
    assert elapsed(start, start + duration, Clock.CALENDAR, CHELYABINSK) == duration
