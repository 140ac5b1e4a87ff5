"""Benchmarks run by hand (`make bench`): they print figures, they assert nothing.

    python bench/run.py [--only deadline_add|demo_load|sla_sweep|ingest] [--signals N] [--keep]

ingest: bench/ingest.py alone (HTTP → processed signal through the batch API, VK callbacks).
webhooks: bench/webhooks.py alone (VK callbacks' answer time while analysts work).
rollup: bench/rollup.py alone (the analytics' counts: their cost per batch of 1,000 signals).
analytics: bench/analytics.py alone (early warning: recall, false alerts, time to detect).
votes: bench/votes.py alone (verified residents voting over the public pages, identities racing).

sla_sweep (after a `--keep` load, or alone with `--only sla_sweep` on a kept database): an idle
sweep and one with 5,000 signals due among 100,000 open.
deadline_add: 100,000 deadlines with the pure deadline function (bench/clock.py).
demo_load: loads N demo signals (default 1,000,000) into a fresh database `<name>_bench`
and reports the time, the rate and the table sizes. `--keep` leaves the database for the
benchmarks of later issues (reports, exports, dashboard) to reuse.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
import psycopg
from common import fresh_database

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--only",
        choices=[
            "deadline_add",
            "demo_load",
            "sla_sweep",
            "ingest",
            "webhooks",
            "ui",
            "reports",
            "api",
            "votes",
            "rollup",
            "analytics",
        ],
    )
    args = parser.parse_args()

    if args.only in (None, "deadline_add"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "clock.py")], check=True)
        print()
    if args.only == "deadline_add":
        return 0
    if args.only == "sla_sweep":
        return _sweep_on_kept_database()
    if args.only in (None, "ingest"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "ingest.py")], check=True)
        print()
    if args.only == "ingest":
        return 0
    if args.only in (None, "webhooks"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "webhooks.py")], check=True)
        print()
    if args.only == "webhooks":
        return 0
    if args.only in (None, "ui"):
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "ui.py"),
                "--reuse",
                "--signals",
                str(args.signals),
            ],
            check=True,
        )
        print()
    if args.only in (None, "reports"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "report_speed.py")], check=True)
        print()
    if args.only in (None, "api"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "api.py")], check=True)
        print()
    if args.only in (None, "votes"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "votes.py")], check=True)
        print()
    if args.only in (None, "rollup"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "rollup.py")], check=True)
        print()
    if args.only in (None, "analytics"):
        subprocess.run([sys.executable, str(ROOT / "bench" / "analytics.py")], check=True)
        print()
    if args.only in ("ui", "reports", "api", "votes", "rollup", "analytics"):
        return 0

    database = fresh_database("bench")
    url = database.url
    env = database.env()
    manage = [sys.executable, str(ROOT / "manage.py")]

    started = time.monotonic()
    subprocess.run(
        [*manage, "demo_load", "--signals", str(args.signals), "--no-classifier"],
        env=env,
        check=True,
    )
    elapsed = time.monotonic() - started

    with psycopg.connect(url) as conn:
        signals = conn.execute("SELECT count(*) FROM signals_app_signal").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM signals_app_signalevent").fetchone()[0]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
    print()
    print(f"bench demo_load  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}")
    print(f"  signals        {signals:>12,}")
    print(f"  events         {events:>12,}")
    print(f"  total time     {elapsed:>12.1f} s  (incl. reference data and calendar)")
    print(f"  rate           {signals / elapsed:>12,.0f} signals/s")
    print(f"  database size  {size:>12}")
    if args.keep:
        print()
        subprocess.run([sys.executable, str(ROOT / "bench" / "sweep.py")], env=env, check=True)
    else:
        database.drop()
    return 0


def _sweep_on_kept_database() -> int:
    """The sweep benchmark alone, on a database kept by an earlier `--keep` load."""
    base = dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
    )
    url = f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/{base['NAME']}_bench"
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True
    )
    return subprocess.run([sys.executable, str(ROOT / "bench" / "sweep.py")], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
