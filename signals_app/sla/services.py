"""SLA writes: policy versions, a signal's deadlines, pauses, extension, recalculation.

The workflow services call into this module inside their own transaction and row lock; the
functions that are entry points themselves (`sla_policy_publish`, `sla_extend`,
`sla_recalculate_policy`) open their own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import CalendarDay, User, WorkCalendar, WorkingPeriod
from signals_app.models import OPEN_STATUSES, Reply, Signal, SignalEvent, Status
from signals_app.sla.clock import ZERO, Clock, DayException, DayKind, WorkSchedule, elapsed
from signals_app.sla.engine import (
    DEADLINES,
    DUE,
    FULFILMENT,
    DeadlineState,
    PolicyCandidate,
    PolicyTerms,
    Step,
    Term,
    deadline_due,
    due_steps,
    policy_match,
    shift_by_pause,
)
from signals_app.sla.models import Escalation, SLAPolicy, SLAPolicyVersion

logger = logging.getLogger(__name__)

SLA_FIELDS = [
    "sla_version",
    "sla_started_at",
    "sla_paused_at",
    "sla_paused_working",
    "sla_paused_calendar",
    "sla_extended_at",
    "sla_cycle",
    "sla_next_check_at",
    "next_deadline_at",
    "reaction_due_at",
    "answer_due_at",
    "resolution_due_at",
    "escalation_level",
    "is_overdue",
]

_TERMS_CACHE: dict[int, PolicyTerms] = {}


# --- schedules ---------------------------------------------------------------------------------


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


# --- policies and versions --------------------------------------------------------------------


def _policy_terms(policy: SLAPolicy, version: int) -> PolicyTerms:
    deadlines = {
        kind: Term(getattr(policy, f"{kind}_duration"), Clock(getattr(policy, f"{kind}_clock")))
        for kind in DEADLINES
        if getattr(policy, f"{kind}_duration")
    }
    extension = (
        Term(policy.extension_duration, Clock(policy.extension_clock))
        if policy.extension_duration
        else None
    )
    steps = tuple(
        Step(
            deadline=step.deadline,
            level=step.level,
            target=step.target,
            at_percent=step.at_percent,
            after_breach=step.after_breach,
            after_breach_clock=Clock(step.after_breach_clock),
            notify=step.notify,
            raise_priority=step.raise_priority,
            flag_overdue=step.flag_overdue,
        )
        for step in policy.steps.order_by("deadline", "level")
    )
    return PolicyTerms(
        policy_id=policy.pk,
        version=version,
        name=policy.name,
        deadlines=deadlines,
        pausing_statuses=tuple(policy.pausing_statuses),
        extension=extension,
        steps=steps,
    )


@transaction.atomic
def sla_policy_publish(*, policy: SLAPolicy, actor: User | None = None) -> SLAPolicyVersion:
    """Freeze the policy and its ladder as a new version; new signals get it from now on."""
    locked = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    policy.version = locked.version
    terms = _policy_terms(locked, locked.version)
    version = SLAPolicyVersion.objects.create(
        policy=locked, number=locked.version, terms=terms.to_json(), created_by=actor
    )
    logger.info("sla_policy_published policy_id=%s version=%s", locked.pk, locked.version)
    return version


def terms_of(version: SLAPolicyVersion | None) -> PolicyTerms:
    """The frozen terms of a version (parsed once per process)."""
    if version is None:
        raise ValueError("the signal has no SLA policy version")
    cached = _TERMS_CACHE.get(version.pk)
    if cached is None:
        cached = _TERMS_CACHE[version.pk] = PolicyTerms.from_json(version.terms)
    return cached


def sla_version_for(signal: Signal, cache: dict | None = None) -> SLAPolicyVersion | None:
    """The newest version of the policy that matches the signal now (publishing a first one).

    With a cache (one batch of signals), the policies and versions are read once.
    """
    key = ("policies", signal.region_id)
    if cache is not None and key in cache:
        candidates = cache[key]
    else:
        candidates = [
            PolicyCandidate(p.pk, tuple(p.channels), p.category_id, p.priority, p.order)
            for p in SLAPolicy.objects.filter(region_id=signal.region_id, is_active=True).only(
                "id", "channels", "category_id", "priority", "order"
            )
        ]
        if cache is not None:
            cache[key] = candidates
    category = signal.category
    topic_id = category.parent_id if category is not None else None
    match = policy_match(
        candidates,
        channel=signal.channel,
        category_id=signal.category_id,
        topic_id=topic_id,
        priority=signal.priority,
    )
    if match is None:
        return None
    version_key = ("version", match.policy_id)
    if cache is not None and version_key in cache:
        return cache[version_key]
    version = SLAPolicyVersion.objects.filter(policy_id=match.policy_id).order_by("-number").first()
    if version is None:
        version = sla_policy_publish(policy=SLAPolicy.objects.get(pk=match.policy_id))
    if cache is not None:
        cache[version_key] = version
    return version


# --- a signal's deadlines ---------------------------------------------------------------------


def _compute_dues(signal: Signal, terms: PolicyTerms, schedule: WorkSchedule) -> dict[str, Any]:
    """Due times of the deadlines that still run; fulfilled ones keep theirs."""
    start = signal.sla_started_at or signal.received_at
    extension = terms.extension if signal.sla_extended_at else None
    dues: dict[str, Any] = {}
    for kind in DEADLINES:
        term = terms.deadlines.get(kind)
        if getattr(signal, FULFILMENT[kind]) is not None:
            continue
        if term is None:
            dues[DUE[kind]] = None
            continue
        dues[DUE[kind]] = deadline_due(
            start,
            term,
            schedule,
            paused_working=signal.sla_paused_working,
            paused_calendar=signal.sla_paused_calendar,
            extension=extension if kind != "reaction" else None,
        )
    return dues


def _states(signal: Signal, terms: PolicyTerms) -> list[DeadlineState]:
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


def sla_refresh(
    signal: Signal, *, schedule: WorkSchedule | None = None, fired: set | None = None
) -> list[str]:
    """Recompute the queue's next deadline and the sweep's next check from the signal's state."""
    running = [
        getattr(signal, DUE[kind])
        for kind in DEADLINES
        if getattr(signal, DUE[kind]) is not None and getattr(signal, FULFILMENT[kind]) is None
    ]
    open_ = signal.status in OPEN_STATUSES
    signal.next_deadline_at = min(running) if running and open_ else None
    signal.sla_next_check_at = None
    if open_ and signal.sla_paused_at is None and signal.sla_version_id is not None and running:
        terms = terms_of(signal.sla_version)
        schedule = schedule or schedule_for_signal(signal)
        if fired is None:
            fired = set(
                Escalation.objects.filter(signal=signal, cycle=signal.sla_cycle).values_list(
                    "deadline", "level"
                )
            )
        _due, upcoming = due_steps(terms, _states(signal, terms), fired, schedule, timezone.now())
        # A step that is already due is picked up by the next sweep straight away.
        signal.sla_next_check_at = timezone.now() if _due else upcoming
    return ["next_deadline_at", "sla_next_check_at"]


def _fired_for(signals: list[Signal]) -> dict[int, set[tuple[str, int]]]:
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


def _dues_snapshot(signal: Signal) -> dict[str, str | None]:
    return {
        kind: getattr(signal, DUE[kind]).isoformat() if getattr(signal, DUE[kind]) else None
        for kind in DEADLINES
    }


def sla_assign(signal: Signal, *, actor: User | None = None) -> None:
    """Give a new signal its policy version and deadlines (inside the creating transaction)."""
    version = sla_version_for(signal)
    signal.sla_started_at = signal.received_at
    if version is None:
        sla_refresh(signal)
        signal.save(update_fields=["sla_started_at", "next_deadline_at", "sla_next_check_at"])
        return
    signal.sla_version = version
    schedule = schedule_for_signal(signal)
    for field_name, value in _compute_dues(signal, terms_of(version), schedule).items():
        setattr(signal, field_name, value)
    sla_refresh(signal, schedule=schedule, fired=set())
    signal.save(update_fields=SLA_FIELDS)
    SignalEvent.objects.create(
        signal=signal,
        kind=SignalEvent.Kind.SLA_ASSIGNED,
        actor=actor,
        changes={
            "policy": version.policy_id,
            "version": version.number,
            "due": _dues_snapshot(signal),
        },
    )


def sla_recompute(
    signal: Signal, *, actor: User | None, reason: str, rematch: bool = True
) -> list[str]:
    """Recompute the running deadlines after a change of category, priority, channel or agency.

    Fulfilled deadlines keep their times. Writes an event with old → new when anything changed.
    """
    before = (_dues_snapshot(signal), signal.sla_version_id)
    version = sla_version_for(signal) if rematch else signal.sla_version
    if version is None:
        return []
    signal.sla_version = version
    schedule = schedule_for_signal(signal)
    for field_name, value in _compute_dues(signal, terms_of(version), schedule).items():
        setattr(signal, field_name, value)
    sla_refresh(signal, schedule=schedule)
    after = (_dues_snapshot(signal), signal.sla_version_id)
    if after != before:
        SignalEvent.objects.create(
            signal=signal,
            kind=SignalEvent.Kind.SLA_RECOMPUTED,
            actor=actor,
            reason=reason,
            changes={
                "due": {kind: [before[0][kind], after[0][kind]] for kind in DEADLINES},
                "version": [before[1], after[1]],
                "policy": version.policy_id,
                "policy_version": version.number,
            },
        )
    return SLA_FIELDS


def sla_on_move(signal: Signal, *, source: str, target: str, actor: User | None) -> list[str]:
    """Pause, resume or restart the clocks as a status move demands. Returns changed fields."""
    if signal.sla_version_id is None:
        return []
    terms = terms_of(signal.sla_version)
    now = timezone.now()
    pausing = set(terms.pausing_statuses)
    if target in pausing and source not in pausing and signal.sla_paused_at is None:
        signal.sla_paused_at = now
        SignalEvent.objects.create(signal=signal, kind=SignalEvent.Kind.SLA_PAUSED, actor=actor)
        return ["sla_paused_at"]
    if source in pausing and target not in pausing and signal.sla_paused_at is not None:
        return _resume(signal, terms, now, actor)
    if source in (Status.ANSWERED, Status.CLOSED) and target == Status.IN_PROGRESS:
        return _new_cycle(signal, terms, now, actor)
    return []


def _resume(signal: Signal, terms: PolicyTerms, now: datetime, actor: User | None) -> list[str]:
    schedule = schedule_for_signal(signal)
    paused_at = signal.sla_paused_at
    assert paused_at is not None
    working = elapsed(paused_at, now, Clock.WORKING_HOURS, schedule)
    calendar = now - paused_at
    shifted = {}
    for kind in DEADLINES:
        due = getattr(signal, DUE[kind])
        term = terms.deadlines.get(kind)
        if due is None or term is None or getattr(signal, FULFILMENT[kind]) is not None:
            continue
        new_due = shift_by_pause(due, term, working, calendar, schedule)
        setattr(signal, DUE[kind], new_due)
        shifted[kind] = [due.isoformat(), new_due.isoformat()]
    signal.sla_paused_working += working
    signal.sla_paused_calendar += calendar
    signal.sla_paused_at = None
    SignalEvent.objects.create(
        signal=signal,
        kind=SignalEvent.Kind.SLA_RESUMED,
        actor=actor,
        changes={
            "paused_from": paused_at.isoformat(),
            "working_seconds": working.total_seconds(),
            "calendar_seconds": calendar.total_seconds(),
            "due": shifted,
        },
    )
    return SLA_FIELDS


def _new_cycle(signal: Signal, terms: PolicyTerms, now: datetime, actor: User | None) -> list[str]:
    """A reopened signal gets fresh answer and resolution deadlines and a new ladder cycle."""
    signal.sla_cycle += 1
    signal.sla_started_at = now
    signal.sla_paused_working = ZERO
    signal.sla_paused_calendar = ZERO
    signal.sla_extended_at = None
    signal.answered_at = None
    signal.resolved_at = None
    signal.escalation_level = 0
    signal.is_overdue = False
    sla_recompute(
        signal, actor=actor, reason=_("Reopened: a new cycle of deadlines"), rematch=False
    )
    return [*SLA_FIELDS, "answered_at", "resolved_at"]


# --- extension --------------------------------------------------------------------------------


def sla_extend(
    *, signal: Signal | int, reason: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """Extend the answer (and resolution) deadline once, by the policy's amount.

    The citizen-facing notice is created as a draft interim reply for the agency to finish.
    """
    from signals_app.workflow import services as workflow
    from signals_app.workflow.errors import InvalidInput, InvalidTransition
    from signals_app.workflow.permissions import require
    from signals_app.workflow.transitions import ANALYST, COORDINATOR

    with transaction.atomic():
        locked = workflow._lock(signal, expected_version)
        require(actor=actor, signal=locked, roles={ANALYST, COORDINATOR})
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(_("A reason is required for this action."))
        if locked.status not in OPEN_STATUSES:
            raise InvalidTransition(_("Only an open signal's deadline can be extended."))
        if locked.sla_extended_at is not None:
            raise InvalidInput(_("The deadline has already been extended once."))
        terms = terms_of(locked.sla_version) if locked.sla_version_id else None
        if terms is None or terms.extension is None:
            raise InvalidInput(_("The signal's policy does not allow an extension."))
        before = _dues_snapshot(locked)
        locked.sla_extended_at = timezone.now()
        schedule = schedule_for_signal(locked)
        for field_name, value in _compute_dues(locked, terms, schedule).items():
            setattr(locked, field_name, value)
        sla_refresh(locked, schedule=schedule)
        locked.version += 1
        locked.save(update_fields=[*SLA_FIELDS, "version", "updated_at"])
        after = _dues_snapshot(locked)
        SignalEvent.objects.create(
            signal=locked,
            kind=SignalEvent.Kind.SLA_EXTENDED,
            actor=actor,
            reason=reason,
            changes={"due": {kind: [before[kind], after[kind]] for kind in DEADLINES}},
        )
        new_due = locked.answer_due_at or locked.resolution_due_at
        local_due = timezone.localtime(new_due, schedule.zone) if new_due else None
        Reply.objects.create(
            signal=locked,
            kind=Reply.Kind.INTERIM,
            state=Reply.State.DRAFT,
            author=actor,
            text=_(
                "The time to consider your appeal No. %(number)s has been extended until "
                "%(date)s. Reason: %(reason)s"
            )
            % {
                "number": locked.number,
                "date": local_due.strftime("%d.%m.%Y") if local_due else "—",
                "reason": reason,
            },
        )
    return locked


# --- explanation ------------------------------------------------------------------------------


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
    return {
        "policy": {"id": terms.policy_id, "name": terms.name, "version": terms.version},
        "start": start.isoformat(),
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


# --- recalculation after a policy edit --------------------------------------------------------


def sla_recalculate_policy(
    *, policy_id: int, batch_size: int = 500, actor: User | None = None
) -> dict[str, int]:
    """Give the open signals of a policy its newest version, in short batches.

    Each batch locks at most `batch_size` rows (ordered by id) for one short transaction, so
    the table is never locked for long and users' edits wait at most one batch.
    """
    latest = SLAPolicyVersion.objects.filter(policy_id=policy_id).order_by("-number").first()
    if latest is None:
        return {"checked": 0, "changed": 0}
    checked = changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Signal.objects.select_for_update(of=("self",))
                .select_related("agency", "region", "sla_version")
                .filter(
                    pk__gt=last_id,
                    status__in=OPEN_STATUSES,
                    sla_version__policy_id=policy_id,
                    sla_version__number__lt=latest.number,
                )
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            cache: dict = {}
            fired = _fired_for(batch)
            events = []
            for signal in batch:
                before = _dues_snapshot(signal)
                signal.sla_version = latest
                schedule = schedule_for_signal(signal, cache)
                for field_name, value in _compute_dues(signal, terms_of(latest), schedule).items():
                    setattr(signal, field_name, value)
                sla_refresh(signal, schedule=schedule, fired=fired.get(signal.pk, set()))
                after = _dues_snapshot(signal)
                events.append(
                    SignalEvent(
                        signal=signal,
                        kind=SignalEvent.Kind.SLA_RECOMPUTED,
                        actor=actor,
                        reason=_("Policy changed: version %(version)s")
                        % {"version": latest.number},
                        changes={
                            "due": {k: [before[k], after[k]] for k in DEADLINES},
                            "policy_version": latest.number,
                        },
                    )
                )
                changed += int(before != after)
            Signal.objects.bulk_update(batch, [*SLA_FIELDS])
            SignalEvent.objects.bulk_create(events)
            checked += len(batch)
            last_id = batch[-1].pk
    logger.info(
        "sla_recalculated policy_id=%s version=%s checked=%s changed=%s",
        policy_id,
        latest.number,
        checked,
        changed,
    )
    return {"checked": checked, "changed": changed}
