"""Deadline arithmetic: pure functions over (start, duration, schedule). No database.

Three clocks:

- ``calendar``: plain elapsed time.
- ``working_hours``: only time inside the schedule's working periods counts. A start outside
  working hours counts from the next working minute; a deadline that ends exactly at the close
  of a period stays there (it is not pushed to the next morning).
- ``working_days``: the term starts on the day after the start (Civil Code art. 191) and ends at
  the close of the N-th working day.

All instants are timezone-aware; the schedule's periods are local times in its time zone.
"""

from __future__ import annotations

import enum
import functools
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
MAX_DAYS_SCANNED = 3 * 366  # a schedule with no working time at all must not loop forever


class Clock(enum.StrEnum):
    CALENDAR = "calendar"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


class ClockStart(enum.StrEnum):
    """Where a policy's clock starts: the source's own moment (when the citizen posted it, or
    the platform registered it), or our receipt (registration, as 59-FZ counts)."""

    SOURCE = "source"
    RECEIPT = "receipt"


class DayKind(enum.StrEnum):
    """Mirrors agencies.CalendarDay.Kind without importing the ORM."""

    HOLIDAY = "holiday"
    DAY_OFF = "day_off"
    WORKING = "working"
    SHORTENED = "shortened"


class NoWorkingTime(ValueError):
    """The schedule has no working time within the scanned horizon."""


@dataclass(frozen=True)
class DayException:
    kind: DayKind
    shortened_by_minutes: int = 0


@dataclass(frozen=True)
class WorkSchedule:
    """Weekly working periods (weekday 0 = Monday) plus dated exceptions, in one time zone."""

    time_zone: str
    weekly: Mapping[int, Sequence[tuple[time, time]]]
    exceptions: Mapping[date, DayException] = field(default_factory=dict)

    @functools.cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @functools.cached_property
    def _working_day_template(self) -> tuple[tuple[time, time], ...]:
        # A working Saturday works the hours of the first weekday that has any (Monday).
        for weekday in range(7):
            if self.weekly.get(weekday):
                return tuple(self.weekly[weekday])
        return ()

    @functools.cached_property
    def _day_cache(self) -> dict[date, tuple[tuple[datetime, datetime], ...]]:
        return {}

    def periods_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working periods of one local date as aware datetimes, in order (memoised)."""
        cached = self._day_cache.get(day)
        if cached is None:
            cached = self._day_cache[day] = _periods_on(self, day)
        return cached


def _periods_on(schedule: WorkSchedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
    exception = schedule.exceptions.get(day)
    if exception is not None and exception.kind in (DayKind.HOLIDAY, DayKind.DAY_OFF):
        return ()
    if exception is not None and exception.kind == DayKind.WORKING:
        local = schedule._working_day_template
    else:
        local = tuple(schedule.weekly.get(day.weekday(), ()))
    zone = schedule.zone
    periods = [
        (datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone))
        for start, end in sorted(local)
    ]
    if exception is not None and exception.kind == DayKind.SHORTENED and periods:
        periods = _shorten(periods, timedelta(minutes=exception.shortened_by_minutes))
    return tuple(periods)


def _shorten(
    periods: list[tuple[datetime, datetime]], cut: timedelta
) -> list[tuple[datetime, datetime]]:
    """Take `cut` off the end of the day (art. 95: the working day ends earlier)."""
    result = list(periods)
    while cut > ZERO and result:
        start, end = result[-1]
        length = end - start
        if length > cut:
            result[-1] = (start, end - cut)
            cut = ZERO
        else:
            result.pop()
            cut -= length
    return result


def _days_from(schedule: WorkSchedule, moment: datetime) -> Iterator[date]:
    day = moment.astimezone(schedule.zone).date()
    for offset in range(MAX_DAYS_SCANNED):
        yield day + timedelta(days=offset)
    raise NoWorkingTime(f"no working time within {MAX_DAYS_SCANNED} days of {moment.isoformat()}")


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("deadline arithmetic needs timezone-aware datetimes")


def next_working_instant(schedule: WorkSchedule, moment: datetime) -> datetime:
    """The moment itself if it lies inside a working period, else the next period's start."""
    _require_aware(moment)
    for day in _days_from(schedule, moment):
        for start, end in schedule.periods_on(day):
            if moment < end:
                return max(moment, start)
    raise NoWorkingTime  # pragma: no cover - _days_from raises first


def add(
    start: datetime, duration: timedelta, clock: Clock | str, schedule: WorkSchedule
) -> datetime:
    """The instant `duration` of `clock` time after `start`."""
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("a deadline duration cannot be negative")
    clock = Clock(clock)
    if clock == Clock.CALENDAR:
        return start + duration
    if clock == Clock.WORKING_DAYS:
        return _add_working_days(start, duration, schedule)
    if duration == ZERO:
        return start
    remaining = duration
    # Plain loops rather than a generator: this runs millions of times in bulk loads.
    day = start.astimezone(schedule.zone).date()
    for _ in range(MAX_DAYS_SCANNED):
        for period_start, period_end in schedule.periods_on(day):
            if period_end <= start:
                continue
            begin = start if start > period_start else period_start
            available = period_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += ONE_DAY
    raise NoWorkingTime(f"no working time within {MAX_DAYS_SCANNED} days of {start.isoformat()}")


def _whole_days(duration: timedelta) -> int:
    if duration % timedelta(days=1):
        raise ValueError("a working-days duration must be a whole number of days")
    return duration.days


def _add_working_days(start: datetime, duration: timedelta, schedule: WorkSchedule) -> datetime:
    days = _whole_days(duration)
    if days == 0:
        return start
    counted = 0
    day = start.astimezone(schedule.zone).date()
    for _ in range(MAX_DAYS_SCANNED):
        day += ONE_DAY  # the term starts on the next day
        periods = schedule.periods_on(day)
        if periods:
            counted += 1
            if counted == days:
                return periods[-1][1]
    raise NoWorkingTime(f"no working time within {MAX_DAYS_SCANNED} days of {start.isoformat()}")


def time_left(
    now: datetime, due: datetime, clock: Clock | str, schedule: WorkSchedule
) -> tuple[timedelta, Clock]:
    """What is left to `due` in its own clock (negative once overdue), and that clock: whole
    working days for a working-days term, falling back to working hours inside the last one."""
    clock = Clock(clock)
    later, earlier, sign = (due, now, 1) if due > now else (now, due, -1)
    left = elapsed(earlier, later, clock, schedule)
    if clock == Clock.WORKING_DAYS and left < ONE_DAY:
        clock = Clock.WORKING_HOURS
        left = elapsed(earlier, later, clock, schedule)
    return sign * left, clock


def elapsed(
    start: datetime, end: datetime, clock: Clock | str, schedule: WorkSchedule
) -> timedelta:
    """`clock` time between two instants (zero if end is not after start)."""
    _require_aware(start)
    _require_aware(end)
    clock = Clock(clock)
    if end <= start:
        return ZERO
    if clock == Clock.CALENDAR:
        return end - start
    if clock == Clock.WORKING_DAYS:
        return timedelta(days=_working_days_between(start, end, schedule))
    total = ZERO
    zone = schedule.zone
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        for period_start, period_end in schedule.periods_on(day):
            low = start if start > period_start else period_start
            high = end if end < period_end else period_end
            if high > low:
                total += high - low
        day += ONE_DAY
    return total


def _working_days_between(start: datetime, end: datetime, schedule: WorkSchedule) -> int:
    """Working days after start's date whose close has been reached by `end`."""
    count = 0
    zone = schedule.zone
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day < last:
        day += ONE_DAY
        periods = schedule.periods_on(day)
        if periods and periods[-1][1] <= end:
            count += 1
    return count
