"""The retention policy's first run over a whole backlog, at a million signals.

    python bench/retention.py [--signals 1000000] [--reuse] [--batch 1000]

1. A database `<name>_retention` filled by the demo loader with `--signals` signals over 150
   days (kept between runs; `--reuse` takes it as it is when it already holds them and no run
   has cleared it yet). One finished signal in ten gets an attachment row (a link: there are no
   files to delete, the rows are).
2. The region's policy is switched on (authors 1 year, files 1 year, rejected 1 month) and the
   run is made "as of" a year and a day after the newest end of work, so that every finished
   signal is due at once: the worst night, the first one after a centre switches it on.
3. `retention_apply --dry-run`, then `retention_apply`, each timed, while a writer beside them
   updates a random finished signal every 20 ms (as the analysts and the sweeps would): its
   longest wait is the longest a row stayed locked by a batch.
4. The figures the reports read (signals per status, agency and month) are compared before and
   after: the run must not change them.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta

import psycopg
from common import ROOT, demo_database, percentile

FIGURES = """
SELECT status, agency_id, date_trunc('month', received_at), count(*)
  FROM signals_app_signal GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def _not_cleared(conn: psycopg.Connection) -> bool:
    """A database a run has cleared already is no worst night any more."""
    query = "SELECT count(*) FROM signals_app_signal WHERE personal_data_removed_at IS NOT NULL"
    return conn.execute(query).fetchone()[0] == 0


def prepare(url: str) -> str:
    """The attachments, the policy, and the date the run is made as of."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO signals_app_attachment (signal_id, file, url, name, content_type, size,"
            " sha256, created_at)"
            " SELECT id, '', 'https://example.org/photo/' || id, 'photo.jpg', 'image/jpeg', 1000,"
            " '', received_at FROM signals_app_signal"
            " WHERE finished_at IS NOT NULL AND id % 10 = 0"
            " AND NOT EXISTS (SELECT 1 FROM signals_app_attachment a WHERE a.signal_id = id)"
        )
        conn.execute(
            "INSERT INTO signals_app_retentionpolicy (region_id, is_active, authors_years,"
            " attachments_years, rejected_months, updated_at)"
            " SELECT id, true, 1, 1, 1, now() FROM agencies_region"
            " ON CONFLICT (region_id) DO UPDATE SET is_active = true, authors_years = 1,"
            " attachments_years = 1, rejected_months = 1"
        )
        conn.execute("VACUUM ANALYZE signals_app_signal")
        conn.execute("VACUUM ANALYZE signals_app_attachment")
        newest = conn.execute("SELECT max(finished_at) FROM signals_app_signal").fetchone()[0]
    return (newest.replace(year=newest.year + 1) + timedelta(days=2)).date().isoformat()


class Writer(threading.Thread):
    """Updates a random finished signal every 20 ms and times each update."""

    def __init__(self, url: str, ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.url, self.ids, self.waits = url, ids, []
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute(
                    "UPDATE signals_app_signal SET escalation_level = escalation_level WHERE id = %s",
                    [random.choice(self.ids)],
                )
                self.waits.append(time.monotonic() - started)
                time.sleep(0.02)


def command(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "retention_apply", *args],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return time.monotonic() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    bench = demo_database("retention", args.signals, reuse=args.reuse, usable=_not_cleared)
    as_of = prepare(bench.url)
    env = bench.env()
    with psycopg.connect(bench.url) as conn:
        total = conn.execute("SELECT count(*) FROM signals_app_signal").fetchone()[0]
        before = conn.execute(FIGURES).fetchall()
        ids = [row[0] for row in conn.execute(
            "SELECT id FROM signals_app_signal WHERE finished_at IS NOT NULL"
            " ORDER BY random() LIMIT 5000")]  # fmt: skip
    writer = Writer(bench.url, ids)
    writer.start()
    dry_seconds, dry = command(env, "--dry-run", "--as-of", as_of)
    run_seconds, applied = command(env, "--as-of", as_of, "--batch", str(args.batch),
                                   "--budget", "86400")  # fmt: skip
    writer.stop.set()
    writer.join()
    with psycopg.connect(bench.url) as conn:
        after = conn.execute(FIGURES).fetchall()
        cleared = conn.execute(
            "SELECT count(personal_data_removed_at), count(*) FILTER (WHERE author_name <> ''"
            " AND finished_at IS NOT NULL) FROM signals_app_signal"
        ).fetchone()
        logged = conn.execute(
            "SELECT count(*), coalesce(sum(count), 0) FROM signals_app_personaldatalog"
        ).fetchone()
    removed = sum(int(n) for n in re.findall(r"removed (\d+)", applied))
    longest = max((int(ms) for ms in re.findall(r"longest (\d+) ms", applied)), default=0)
    print()
    print(f"bench retention  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}  "
          f"signals={total:,}  as of {as_of}  batch={args.batch}")  # fmt: skip
    print(dry.strip())
    print(applied.strip())
    print(f"  dry run                 {dry_seconds:8.1f} s")
    print(f"  applied                 {run_seconds:8.1f} s  ({removed:,} rows, "
          f"{removed / max(run_seconds, 0.001):,.0f} per second)")  # fmt: skip
    print(f"  longest batch           {longest:8d} ms")
    print(f"  writer beside it        p50 {percentile(writer.waits, 0.5) * 1000:.1f} ms  "
          f"p99 {percentile(writer.waits, 0.99) * 1000:.1f} ms  "
          f"max {max(writer.waits) * 1000:.0f} ms  ({len(writer.waits):,} updates)")  # fmt: skip
    print(f"  signals cleared         {cleared[0]:,}  (finished ones still holding a name: "
          f"{cleared[1]:,})")  # fmt: skip
    print(f"  log entries             {logged[0]:,} for {logged[1]:,} rows")
    print(f"  report figures          {'unchanged' if before == after else 'CHANGED'}")
    return 0 if before == after and not cleared[1] else 1


if __name__ == "__main__":
    sys.exit(main())
