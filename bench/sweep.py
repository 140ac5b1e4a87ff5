"""Benchmark the escalation sweep on the loaded `<name>_bench` database.

Scenario of the SLA issue: 1,000,000 signals, 100,000 of them open. First an idle sweep
(nothing due), then a sweep with 5,000 signals due. The scenario is made with plain SQL on the
benchmark database (it is thrown away or reloaded anyway).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from signals_app.sla.sweep import sla_sweep_batch  # noqa: E402

OPEN = 100_000
DUE = 5_000


def prepare() -> None:
    """Make exactly OPEN signals open, DUE of them due now with nothing fired yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE signals_app_signal SET sla_next_check_at = NULL WHERE sla_next_check_at IS NOT NULL"
        )
        cursor.execute(
            """
            WITH chosen AS (
                SELECT id, row_number() OVER (ORDER BY id DESC) AS n FROM signals_app_signal
                WHERE sla_version_id IS NOT NULL AND agency_id IS NOT NULL
                ORDER BY id DESC LIMIT %s
            )
            UPDATE signals_app_signal s SET
                status = 'in_progress', answered_at = NULL, resolved_at = NULL,
                sla_paused_at = NULL, escalation_level = 0, is_overdue = false,
                answer_due_at = now() + interval '1 hour' * (CASE WHEN c.n <= %s THEN -30 ELSE 30 END),
                sla_started_at = now() - interval '40 hours',
                sla_next_check_at = CASE WHEN c.n <= %s THEN now() - interval '1 minute'
                                         ELSE now() + interval '1 day' END
            FROM chosen c WHERE s.id = c.id
            """,
            [OPEN, DUE, DUE],
        )
        cursor.execute(
            """
            DELETE FROM signals_app_escalation e USING signals_app_signal s
            WHERE e.signal_id = s.id AND s.sla_next_check_at <= now()
            """
        )
        cursor.execute("DELETE FROM signals_app_notification")
        cursor.execute("ANALYZE signals_app_signal")


def main() -> None:
    prepare()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM signals_app_signal")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM signals_app_signal WHERE status = 'in_progress' AND sla_next_check_at IS NOT NULL"
        )
        open_count = cursor.fetchone()[0]
    idle = []
    # The due rows are in the past; an "idle" sweep looks at an instant before them.
    before = timezone.now() - timezone.timedelta(hours=1)
    for _ in range(20):
        started = time.perf_counter()
        sla_sweep_batch(now=before)
        idle.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    checked = fired = notes = batches = 0
    while True:
        result = sla_sweep_batch(batch_size=500)
        batches += 1
        checked, fired, notes = (
            checked + result.checked,
            fired + result.fired,
            notes + result.notifications,
        )
        if not result.more:
            break
    busy = time.perf_counter() - started
    print(f"bench sla_sweep  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}")
    print(f"  signals        {total:>12,}  open with a pending check: {open_count:,}")
    print(
        f"  idle sweep     {statistics.median(idle):>12.1f} ms  (median of 20; max {max(idle):.1f} ms)"
    )
    print(
        f"  busy sweep     {busy:>12.2f} s  ({checked:,} signals due, {fired:,} steps fired, {notes:,} notifications, {batches} batches)"
    )


if __name__ == "__main__":
    main()
