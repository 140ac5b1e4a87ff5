"""The SLA badge of a queue row: working time left to the next deadline, and its colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from signals_app.models import Signal
from signals_app.sla.clock import Clock, elapsed
from signals_app.sla.selectors import schedule_key, schedules_for

OK, WARNING, OVERDUE, PAUSED, NONE = "ok", "warning", "overdue", "paused", "none"


@dataclass(frozen=True)
class Badge:
    state: str
    due: datetime | None
    left: timedelta  # working time; negative once overdue


def badges_for(signals: list[Signal], *, now: datetime) -> dict[int, Badge]:
    """Badges for a page of signals: a fixed number of queries whatever the page size.

    Amber once the share of the deadline's working time used reaches `SLA_WARNING_SHARE`
    (0.8, the default ladder's "warn the coordinator" step); red when overdue.
    """
    running = [s for s in signals if s.next_deadline_at is not None]
    loaded = schedules_for(running, around=now) if running else {"keys": {}, "schedules": {}}
    share = settings.SLA_WARNING_SHARE
    badges: dict[int, Badge] = {}
    for signal in signals:
        due = signal.next_deadline_at
        if due is None:
            state = PAUSED if signal.sla_paused_at is not None else NONE
            badges[signal.pk] = Badge(state, None, timedelta(0))
            continue
        schedule = loaded["schedules"][schedule_key(signal, loaded["keys"])]
        if due <= now:
            badges[signal.pk] = Badge(
                OVERDUE, due, -elapsed(due, now, Clock.WORKING_HOURS, schedule)
            )
            continue
        left = elapsed(now, due, Clock.WORKING_HOURS, schedule)
        start = signal.sla_started_at or signal.received_at
        span = elapsed(start, due, Clock.WORKING_HOURS, schedule)
        used = 1 - (left / span) if span else 1
        badges[signal.pk] = Badge(WARNING if used >= share else OK, due, left)
    return badges
