"""SLA reads (floor 2): working schedules, a version's frozen terms, "why is this due then?".

Nothing here writes. The schedules are loaded per calendar and time zone and shared through a
`cache` dict by callers that handle many signals at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agencies.models import CalendarDay, WorkCalendar, WorkingPeriod
from signals_app.models import Signal, SignalEvent
from signals_app.sla.clock import DayException, DayKind, WorkSchedule
from signals_app.sla.engine import (
    DUE,
    FULFILMENT,
    START_RECEIPT,
    START_SOURCE,
    DeadlineState,
    PolicyTerms,
    clock_start,
    deadline_due,
)
from signals_app.sla.models import Escalation, SLAPolicyVersion

_TERMS_CACHE: dict[int, PolicyTerms] = {}


def schedule_load(*, calendar: WorkCalendar | None, time_zone: str) -> WorkSchedule:
    """The working schedule of a calendar in a time zone (two queries)."""
    weekly: dict[int, list] = {}
    exceptions: dict = {}
    if calendar is not None:
        for period in WorkingPeriod.objects.filter(calendar=calendar).order_by("weekday", "start"):
            weekly.setdefault(period.weekday, []).append((period.start, period.end))
        exceptions = {
            day.date: DayException(DayKind(day.kind), day.shortened_by_minutes)
            for day in CalendarDay.objects.filter(calendar=calendar).only(
                "date", "kind", "shortened_by_minutes"
            )
        }
    if not weekly:
        from agencies.services import DEFAULT_WEEK

        weekly = {day: list(periods) for day, periods in DEFAULT_WEEK.items()}
    return WorkSchedule(time_zone, weekly, exceptions)


def schedule_key(signal: Signal, cache: dict | None = None) -> tuple[int | None, str]:
    """(calendar id, time zone) that a signal's deadlines count in."""
    agency = signal.agency
    region = signal.region
    calendar_id = agency.calendar_id if agency is not None and agency.calendar_id else None
    # An agency is always in its signal's region (a composite key says so): no extra query.
    zone = (agency.time_zone if agency is not None else "") or region.time_zone
    if calendar_id is None:
        default_key = ("default-calendar", signal.region_id)
        if cache is not None and default_key in cache:
            calendar_id = cache[default_key]
        else:
            calendar_id = (
                WorkCalendar.objects.filter(region_id=signal.region_id, is_default=True)
                .values_list("id", flat=True)
                .first()
            )
            if cache is not None:
                cache[default_key] = calendar_id
    return calendar_id, zone


def schedule_for_signal(signal: Signal, cache: dict | None = None) -> WorkSchedule:
    """The agency's calendar and time zone, else the region's default calendar and zone."""
    key = schedule_key(signal, cache)
    if cache is not None and key in cache:
        return cache[key]
    calendar = WorkCalendar.objects.filter(pk=key[0]).first() if key[0] else None
    schedule = schedule_load(calendar=calendar, time_zone=key[1])
    if cache is not None:
        cache[key] = schedule
    return schedule


def schedules_for(signals: list[Signal], *, around: datetime, days: int = 120) -> dict:
    """The schedules of many signals in three queries, keyed like `schedule_key`.

    For display (the queue's SLA badges): calendar exceptions are loaded for `days` around
    `around` only, which covers any deadline a badge shows. The signals need `agency` and
    `region` loaded (or their ids and the agency's calendar and zone).
    """
    cache: dict = {}
    region_ids = {signal.region_id for signal in signals}
    defaults = dict(
        WorkCalendar.objects.filter(region_id__in=region_ids, is_default=True).values_list(
            "region_id", "id"
        )
    )
    for region_id in region_ids:
        cache[("default-calendar", region_id)] = defaults.get(region_id)
    keys = {schedule_key(signal, cache) for signal in signals}
    calendar_ids = {calendar_id for calendar_id, _zone in keys if calendar_id}
    weekly: dict[int, dict[int, list]] = {}
    exceptions: dict[int, dict] = {}
    if calendar_ids:
        for period in WorkingPeriod.objects.filter(calendar_id__in=calendar_ids).order_by(
            "weekday", "start"
        ):
            weekly.setdefault(period.calendar_id, {}).setdefault(period.weekday, []).append(
                (period.start, period.end)
            )
        window = (around - timedelta(days=days)).date(), (around + timedelta(days=days)).date()
        for day in CalendarDay.objects.filter(
            calendar_id__in=calendar_ids, date__range=window
        ).only("calendar_id", "date", "kind", "shortened_by_minutes"):
            exceptions.setdefault(day.calendar_id, {})[day.date] = DayException(
                DayKind(day.kind), day.shortened_by_minutes
            )
    from agencies.services import DEFAULT_WEEK

    schedules = {}
    for calendar_id, zone in keys:
        week = weekly.get(calendar_id or 0) or {d: list(p) for d, p in DEFAULT_WEEK.items()}
        schedules[(calendar_id, zone)] = WorkSchedule(
            zone, week, exceptions.get(calendar_id or 0, {})
        )
    return {"keys": cache, "schedules": schedules}


def terms_of(version: SLAPolicyVersion | None) -> PolicyTerms:
    """The frozen terms of a version (parsed once per process)."""
    if version is None:
        raise ValueError("the signal has no SLA policy version")
    cached = _TERMS_CACHE.get(version.pk)
    if cached is None:
        cached = _TERMS_CACHE[version.pk] = PolicyTerms.from_json(version.terms)
    return cached


def terms_by_version(version_ids: set[int]) -> dict[int, PolicyTerms]:
    """The frozen terms of many versions: one query for those not parsed yet."""
    missing = [pk for pk in version_ids if pk not in _TERMS_CACHE]
    if missing:
        for pk, terms in SLAPolicyVersion.objects.filter(pk__in=missing).values_list("pk", "terms"):
            _TERMS_CACHE[pk] = PolicyTerms.from_json(terms)
    return {pk: _TERMS_CACHE[pk] for pk in version_ids if pk in _TERMS_CACHE}


def deadline_states(signal: Signal, terms: PolicyTerms) -> list[DeadlineState]:
    """The signal's deadlines as the ladder reads them: start, due, term, fulfilled or not."""
    start = signal.sla_started_at or signal.received_at
    states = []
    for kind, term in terms.deadlines.items():
        due = getattr(signal, DUE[kind])
        if due is None:
            continue
        states.append(
            DeadlineState(
                kind=kind,
                start=start,
                due=due,
                term=term,
                fulfilled=getattr(signal, FULFILMENT[kind]) is not None,
            )
        )
    return states


def fired_steps(signals: list[Signal]) -> dict[int, set[tuple[str, int]]]:
    """Fired ladder steps of the signals' current cycles, in one query."""
    cycles = {signal.pk: signal.sla_cycle for signal in signals}
    fired: dict[int, set[tuple[str, int]]] = {}
    rows = Escalation.objects.filter(signal_id__in=cycles).values_list(
        "signal_id", "deadline", "level", "cycle"
    )
    for signal_id, deadline, level, cycle in rows:
        if cycles[signal_id] == cycle:
            fired.setdefault(signal_id, set()).add((deadline, level))
    return fired


def sla_explain(signal: Signal, cache: dict | None = None) -> dict[str, Any]:
    """Everything needed to answer "why is this due at 14:37 on Monday?".

    `cache` shares the loaded schedule with the caller (see `schedule_for_signal`).
    """
    if signal.sla_version_id is None:
        return {"policy": None, "deadlines": []}
    terms = terms_of(signal.sla_version)
    schedule = schedule_for_signal(signal, cache)
    start = signal.sla_started_at or signal.received_at
    pauses = [
        {
            "from": event.changes.get("paused_from"),
            "to": event.created_at.isoformat(),
            "working_seconds": event.changes.get("working_seconds"),
            "calendar_seconds": event.changes.get("calendar_seconds"),
        }
        for event in signal.events.filter(kind=SignalEvent.Kind.SLA_RESUMED).order_by("id")
    ]
    deadlines = []
    for kind, term in terms.deadlines.items():
        base = deadline_due(start, term, schedule)
        paused = deadline_due(
            start,
            term,
            schedule,
            paused_working=signal.sla_paused_working,
            paused_calendar=signal.sla_paused_calendar,
        )
        deadlines.append(
            {
                "kind": kind,
                "duration_seconds": term.duration.total_seconds(),
                "clock": term.clock.value,
                "base_due": base.isoformat(),
                "after_pauses": paused.isoformat(),
                "due": getattr(signal, DUE[kind]).isoformat()
                if getattr(signal, DUE[kind])
                else None,
                "fulfilled_at": getattr(signal, FULFILMENT[kind]).isoformat()
                if getattr(signal, FULFILMENT[kind])
                else None,
            }
        )
    if signal.sla_cycle > 1:
        why = "reopened"
    else:
        first, why = clock_start(terms, received_at=signal.received_at, posted_at=signal.posted_at)
        if first != start:  # started under an earlier version's rule, and kept
            why = START_RECEIPT if start == signal.received_at else START_SOURCE
    return {
        "policy": {"id": terms.policy_id, "name": terms.name, "version": terms.version},
        "start": start.isoformat(),
        "start_reason": why,
        "received_at": signal.received_at.isoformat(),
        "posted_at": signal.posted_at.isoformat() if signal.posted_at else None,
        "cycle": signal.sla_cycle,
        "time_zone": schedule.time_zone,
        "calendar_id": schedule_key(signal)[0],
        "paused_since": signal.sla_paused_at.isoformat() if signal.sla_paused_at else None,
        "paused_working_seconds": signal.sla_paused_working.total_seconds(),
        "paused_calendar_seconds": signal.sla_paused_calendar.total_seconds(),
        "pauses": pauses,
        "extension": None
        if signal.sla_extended_at is None or terms.extension is None
        else {
            "at": signal.sla_extended_at.isoformat(),
            "duration_seconds": terms.extension.duration.total_seconds(),
            "clock": terms.extension.clock.value,
        },
        "deadlines": deadlines,
    }
