"""Benchmark: 100,000 deadlines with the pure deadline function."""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from agencies.services import DEFAULT_WEEK, production_calendar  # noqa: E402
from signals_app.sla.clock import Clock, DayException, DayKind, WorkSchedule, add  # noqa: E402


def main(count: int = 100_000) -> None:
    exceptions = {
        day: DayException(DayKind(kind), minutes)
        for year in (2025, 2026, 2027)
        for day, (kind, _name, minutes) in production_calendar(year).items()
    }
    schedule = WorkSchedule("Asia/Yekaterinburg", DEFAULT_WEEK, exceptions)
    rnd = random.Random(1)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    cases = []
    for _ in range(count):
        start = base + timedelta(minutes=rnd.randrange(365 * 24 * 60))
        clock = rnd.choice(
            [Clock.WORKING_HOURS, Clock.WORKING_HOURS, Clock.WORKING_DAYS, Clock.CALENDAR]
        )
        if clock == Clock.WORKING_HOURS:
            duration = timedelta(hours=rnd.choice([1, 8, 24]))
        else:
            duration = timedelta(days=rnd.choice([1, 3, 10, 30]))
        cases.append((start, duration, clock))
    started = time.perf_counter()
    for start, duration, clock in cases:
        add(start, duration, clock, schedule)
    elapsed = time.perf_counter() - started
    print(f"bench deadline_add  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}")
    print(f"  deadlines      {count:>12,}  (working hours 1/8/24 h, working days 1–30, calendar)")
    print(f"  total time     {elapsed:>12.2f} s")
    print(f"  per deadline   {elapsed / count * 1e6:>12.1f} µs")


if __name__ == "__main__":
    main()
