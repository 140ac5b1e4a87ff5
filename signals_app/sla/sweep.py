"""The escalation sweep: fire the ladder steps that are due, exactly once.

One batch = one short transaction: pick the signals whose indexed `sla_next_check_at` has
passed with `FOR UPDATE SKIP LOCKED` (so two sweeps never wait for each other), work out which
steps are due, claim them with `INSERT … ON CONFLICT DO NOTHING RETURNING` on the unique
(signal, deadline, level, cycle) key (so a retry or a concurrent sweep never fires twice), apply
their actions, create notifications, store each signal's next check. E-mails go after commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Membership, Role, User
from signals_app import dispatch, timeline
from signals_app.choices import OPEN_STATUSES
from signals_app.models import Signal
from signals_app.outbound import outbox
from signals_app.outbound.models import WebhookEvent
from signals_app.sla import deadlines
from signals_app.sla.engine import Step, due_steps
from signals_app.sla.models import DeadlineKind, EscalationStep, Notification
from signals_app.sla.selectors import deadline_states, fired_steps, schedule_for_signal, terms_of
from signals_app.workflow.services import signals_sweep_save

logger = logging.getLogger(__name__)

Target = EscalationStep.Target

_PICK_SQL = """
SELECT id FROM signals_app_signal
WHERE sla_next_check_at IS NOT NULL AND sla_next_check_at <= %s
ORDER BY sla_next_check_at
LIMIT %s
FOR UPDATE SKIP LOCKED
"""

_CLAIM_SQL = """
INSERT INTO signals_app_escalation (signal_id, deadline, level, cycle, target, recipients, fired_at)
SELECT u.s, u.d, u.l, u.c, u.t, u.r, %s::timestamptz
FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::int[], %s::text[], %s::int[]) AS u(s, d, l, c, t, r)
ON CONFLICT (signal_id, deadline, level, cycle) DO NOTHING
RETURNING signal_id, deadline, level
"""


@dataclass(frozen=True)
class SweepResult:
    checked: int
    fired: int
    notifications: int
    more: bool
    notification_ids: tuple[int, ...] = ()


def sla_sweep_batch(
    *, now: datetime | None = None, batch_size: int = 500, digest: bool = True
) -> SweepResult:
    """Process one batch of signals whose next SLA check has come.

    With `digest`, the batch's e-mail digest is queued after commit; a caller that runs several
    batches passes False and sends one digest for all of them (one e-mail per recipient).
    """
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_PICK_SQL, [now, batch_size])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return SweepResult(0, 0, 0, False)
        signals = list(
            Signal.objects.filter(pk__in=ids).select_related("sla_version", "agency", "region")
        )
        fired = fired_steps(signals)
        cache: dict = {}
        candidates: list[tuple[Signal, Step]] = []
        for signal in signals:
            if (
                signal.status not in OPEN_STATUSES
                or signal.sla_paused_at
                or not signal.sla_version_id
            ):
                signal.sla_next_check_at = None  # re-checked under the lock: nothing runs
                continue
            terms = terms_of(signal.sla_version)
            schedule = schedule_for_signal(signal, cache)
            due, upcoming = due_steps(
                terms, deadline_states(signal, terms), fired.get(signal.pk, set()), schedule, now
            )
            candidates += [(signal, step) for step in due]
            signal.sla_next_check_at = upcoming
        recipients = _recipients(candidates)
        claimed = _claim(candidates, recipients, now)
        was_overdue = {signal.pk for signal in signals if signal.is_overdue}
        notifications, entries, escalated = _fire(candidates, claimed, recipients, now)
        # Array statements: Django's bulk_update/bulk_create spend most of a batch building
        # expressions, and this runs every minute over thousands of rows.
        signals_sweep_save(signals=signals, escalated=escalated, entries=entries, now=now)
        outbox.webhook_emit_many(
            event=WebhookEvent.OVERDUE,
            signals=[s for s in signals if s.is_overdue and s.pk not in was_overdue],
        )
        notification_ids = _insert_notifications(notifications, now)
        if notification_ids and digest:
            dispatch.send_on_commit("default.notification_digest", notification_ids)
    logger.info(
        "sla_sweep_batch checked=%s fired=%s notifications=%s",
        len(signals),
        len(claimed),
        len(notification_ids),
    )
    return SweepResult(
        len(signals),
        len(claimed),
        len(notification_ids),
        len(ids) == batch_size,
        tuple(notification_ids),
    )


def _insert_notifications(notifications: list[Notification], now: datetime) -> list[int]:
    if not notifications:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO signals_app_notification (user_id, signal_id, kind, title, body, created_at)
            SELECT u.user_id, u.signal_id, u.kind, u.title, '', %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[])
                 AS u(user_id, signal_id, kind, title)
            RETURNING id
            """,
            [
                now,
                [n.user_id for n in notifications],
                [n.signal_id for n in notifications],
                [n.kind for n in notifications],
                [n.title for n in notifications],
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def _recipients(candidates: list[tuple[Signal, Step]]) -> dict[tuple[int, str], list[int]]:
    """User ids per (signal, target), in one query per kind of target."""
    targets = defaultdict(set)
    for signal, step in candidates:
        targets[step.target].add(signal)
    coordinators: dict[int, list[int]] = defaultdict(list)
    agency_ids = {
        s.agency_id for s in targets[Target.COORDINATORS] | targets[Target.ASSIGNEE] if s.agency_id
    }
    if agency_ids:
        for agency_id, user_id in Membership.objects.filter(
            agency_id__in=agency_ids, role=Membership.Role.COORDINATOR, user__is_active=True
        ).values_list("agency_id", "user_id"):
            coordinators[agency_id].append(user_id)
    curators: dict[int, list[int]] = defaultdict(list)
    municipality_ids = {s.municipality_id for s in targets[Target.CURATORS] if s.municipality_id}
    if municipality_ids:
        through = User.curated_municipalities.through
        for municipality_id, user_id in through.objects.filter(
            municipality_id__in=municipality_ids, user__is_active=True
        ).values_list("municipality_id", "user_id"):
            curators[municipality_id].append(user_id)
    by_region: dict[tuple[str, int], list[int]] = defaultdict(list)
    region_ids = {s.region_id for s in targets[Target.SUPERVISORS] | targets[Target.CURATORS]}
    if region_ids:
        regions_through = User.regions.through
        for region_id, user_id, group in regions_through.objects.filter(
            region_id__in=region_ids,
            user__is_active=True,
            user__groups__name__in=[Role.SUPERVISOR, Role.ANALYST],
        ).values_list("region_id", "user_id", "user__groups__name"):
            by_region[(group, region_id)].append(user_id)
    result: dict[tuple[int, str], list[int]] = {}
    for signal, step in candidates:
        if step.target == Target.ASSIGNEE:
            users = (
                [signal.assignee_id]
                if signal.assignee_id
                else coordinators.get(signal.agency_id or 0, [])
            )
        elif step.target == Target.COORDINATORS:
            users = coordinators.get(signal.agency_id or 0, [])
        elif step.target == Target.CURATORS:
            # Nobody curates the municipality: the region's analysts hear of it instead.
            users = curators.get(signal.municipality_id or 0) or by_region.get(
                (Role.ANALYST, signal.region_id), []
            )
        else:
            users = by_region.get((Role.SUPERVISOR, signal.region_id), [])
        result[(signal.pk, step.target)] = sorted(set(users))
    return result


def _claim(
    candidates: list[tuple[Signal, Step]],
    recipients: dict[tuple[int, str], list[int]],
    now: datetime,
) -> set[tuple[int, str, int]]:
    if not candidates:
        return set()
    columns: list[list] = [[], [], [], [], [], []]
    for signal, step in candidates:
        for column, value in zip(
            columns,
            (signal.pk, step.deadline, step.level, signal.sla_cycle, step.target,
             len(recipients[(signal.pk, step.target)])),
            strict=True,
        ):  # fmt: skip
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [now, *columns])
        return {(row[0], row[1], row[2]) for row in cursor.fetchall()}


def _describe(step: Step) -> str:
    deadline = str(DeadlineKind(step.deadline).label).lower()
    if step.after_breach is not None:
        return _("the %(deadline)s deadline has been missed for a while") % {"deadline": deadline}
    if (step.at_percent or 100) >= 100:
        return _("the %(deadline)s deadline has passed") % {"deadline": deadline}
    return _("%(percent)s%% of the %(deadline)s time has passed") % {
        "percent": step.at_percent,
        "deadline": deadline,
    }


def _fire(
    candidates: list[tuple[Signal, Step]],
    claimed: set[tuple[int, str, int]],
    recipients: dict[tuple[int, str], list[int]],
    now: datetime,
) -> tuple[list[Notification], list[timeline.Entry], set[int]]:
    """Apply the claimed steps to their signals; their notifications, timeline entries and the
    ids of the signals they changed."""
    notifications: list[Notification] = []
    entries: list[timeline.Entry] = []
    escalated: set[int] = set()
    for signal, step in candidates:
        if (signal.pk, step.deadline, step.level) not in claimed:
            continue  # another sweep fired it first
        users = recipients[(signal.pk, step.target)]
        (fired,) = deadlines.fire(signal, [(step, now)])
        escalated.add(signal.pk)
        entries.append(
            timeline.escalated(signal.pk, deadline=step.deadline, level=step.level,
                               target=step.target, recipients=users, priority=fired.priority,
                               at=now)
        )  # fmt: skip
        if step.notify:
            title = _("Signal %(number)s: %(what)s") % {
                "number": signal.number,
                "what": _describe(step),
            }
            notifications += [
                Notification(user_id=user_id, signal=signal, kind="escalation", title=title)
                for user_id in users
            ]
    return notifications, entries, escalated
