"""The SLA badge of a queue row: what is left to the next deadline in that deadline's own
clock (working days, working hours or calendar time), and its colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from signals_app.models import Signal
from signals_app.sla.clock import Clock, elapsed, time_left
from signals_app.sla.engine import DEADLINES, DUE
from signals_app.sla.selectors import schedule_key, schedules_for, terms_by_version

OK, WARNING, OVERDUE, PAUSED, NONE = "ok", "warning", "overdue", "paused", "none"


@dataclass(frozen=True)
class Badge:
    state: str
    due: datetime | None
    left: timedelta  # in `clock`; negative once overdue
    clock: Clock = Clock.WORKING_HOURS
    kind: str = ""  # reaction, answer or resolution
    paused_at: datetime | None = None


def next_kind(signal: Signal) -> str:
    """Which deadline the next one is."""
    return next(
        (kind for kind in DEADLINES if getattr(signal, DUE[kind]) == signal.next_deadline_at), ""
    )


def badges_for(signals: list[Signal], *, now: datetime) -> dict[int, Badge]:
    """Badges for a page of signals: a fixed number of queries whatever the page size.

    Amber once the share of the deadline's working time used reaches `SLA_WARNING_SHARE`
    (0.8, the default ladder's "warn the coordinator" step); red when overdue; grey while
    the clock is paused (the deadline moves on when it runs again).
    """
    running = [s for s in signals if s.next_deadline_at is not None]
    loaded = schedules_for(running, around=now) if running else {"keys": {}, "schedules": {}}
    terms = terms_by_version({s.sla_version_id for s in running if s.sla_version_id})
    share = settings.SLA_WARNING_SHARE
    badges: dict[int, Badge] = {}
    for signal in signals:
        due = signal.next_deadline_at
        if signal.sla_paused_at is not None:
            badges[signal.pk] = Badge(
                PAUSED, due, timedelta(0), kind=next_kind(signal) if due else "",
                paused_at=signal.sla_paused_at,
            )  # fmt: skip
            continue
        if due is None:
            badges[signal.pk] = Badge(NONE, None, timedelta(0))
            continue
        kind = next_kind(signal)
        policy = terms.get(signal.sla_version_id) if signal.sla_version_id else None
        term = policy.deadlines.get(kind) if policy and kind else None
        clock = term.clock if term else Clock.WORKING_HOURS
        schedule = loaded["schedules"][schedule_key(signal, loaded["keys"])]
        left, shown = time_left(now, due, clock, schedule)
        if due <= now:
            badges[signal.pk] = Badge(OVERDUE, due, left, shown, kind)
            continue
        start = signal.sla_started_at or signal.received_at
        measure = Clock.CALENDAR if clock == Clock.CALENDAR else Clock.WORKING_HOURS
        span = elapsed(start, due, measure, schedule)
        used = 1 - (elapsed(now, due, measure, schedule) / span) if span else 1
        badges[signal.pk] = Badge(WARNING if used >= share else OK, due, left, shown, kind)
    return badges
