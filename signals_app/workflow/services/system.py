"""The system's many-row changes of signals: the escalation sweep's and a policy recalculation's.

They run over thousands of rows a minute, so they write with array statements instead of one
save per row — but they are changes like any other: a signal whose level, overdue flag,
priority or deadlines changed gets a new version (an analyst's form opened before it then
meets a conflict instead of silently writing the old values back), and every change leaves its
timeline entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.utils import timezone

from signals_app import timeline
from signals_app.models import Signal
from signals_app.sla import deadlines


def signals_sweep_save(
    *,
    signals: list[Signal],
    escalated: set[int],
    entries: Iterable[timeline.Entry],
    now: datetime,
) -> None:
    """Store a sweep batch (rows locked by the sweep): every row's next check; for the rows a
    step fired on (`escalated`), their level, overdue flag, priority and a new version."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE signals_app_signal AS s
            SET sla_next_check_at = u.next_check, escalation_level = u.level,
                is_overdue = u.overdue, priority = u.priority,
                version = s.version + u.bump,
                updated_at = CASE WHEN u.bump = 1 THEN %s ELSE s.updated_at END
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[], %s::bool[], %s::text[],
                        %s::int[])
                 AS u(id, next_check, level, overdue, priority, bump)
            WHERE s.id = u.id
            """,
            [
                now,
                [s.pk for s in signals],
                [s.sla_next_check_at for s in signals],
                [s.escalation_level for s in signals],
                [s.is_overdue for s in signals],
                [s.priority for s in signals],
                [int(s.pk in escalated) for s in signals],
            ],
        )
    timeline.write_many(entries)


def signals_deadlines_save(*, signals: list[Signal], entries: Iterable[timeline.Entry]) -> None:
    """Store recomputed deadlines of locked signals (a policy recalculation), each with a new
    version, and their timeline entries."""
    now = timezone.now()
    for signal in signals:
        signal.version += 1
        signal.updated_at = now
    Signal.objects.bulk_update(signals, [*deadlines.SLA_FIELDS, "version", "updated_at"])
    timeline.write_many(entries)
