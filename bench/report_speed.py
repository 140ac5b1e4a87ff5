"""Reports at a million signals: the monthly figures, a 100,000-row XLSX export, the dashboard.

    python bench/report_speed.py [--requests 200]

Runs on `<name>_ui`, the million-signal database of `bench/ui.py` (load it there first). The
month reported is the one with the most signals. Each figure is taken in a fresh process, so the
peak memory printed is that of the export alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import psycopg
from common import ROOT, ui_database
from ui import SESSION, gunicorn, measure, report, stop, wait_for

PORT = 8773
FIGURES = """
import time
from agencies.models import Region
from reports.figures import monthly_figures
region = Region.objects.get(code="74")
started = time.perf_counter()
figures = monthly_figures(region=region, year={year}, month={month})
print(figures["received"], round(time.perf_counter() - started, 2))
"""
EXPORT = """
import resource, time
from agencies.models import User
from reports.models import Export
from reports.queue_exports import export_run
owner = User.objects.get(username="analyst")
export = Export.objects.create(owner=owner, query="view=&received_from={since}", format="xlsx")
started = time.perf_counter()
export_run(export_id=export.pk)
export.refresh_from_db()
print(export.rows, round(time.perf_counter() - started, 1),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    url, env = ui_database()
    env = {**env, "MEDIA_ROOT": str(ROOT / ".local" / "bench-media")}
    manage = [sys.executable, str(ROOT / "manage.py")]
    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM signals_app_signal").fetchone()[0]
        year, month, in_month = conn.execute(
            "SELECT extract(year FROM received_at AT TIME ZONE 'Asia/Yekaterinburg')::int,"
            " extract(month FROM received_at AT TIME ZONE 'Asia/Yekaterinburg')::int, count(*)"
            " FROM signals_app_signal GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"
        ).fetchone()
        since = conn.execute(
            "SELECT (received_at AT TIME ZONE 'Asia/Yekaterinburg')::date FROM signals_app_signal"
            " ORDER BY received_at DESC OFFSET 100000 LIMIT 1"
        ).fetchone()[0]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    print(
        f"bench reports  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}  signals={total:,}"
    )

    for _ in range(3):
        out = subprocess.run(
            [*manage, "shell", "-c", FIGURES.format(year=year, month=month)],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        print(
            f"  monthly figures {year}-{month:02d}: {int(out[-2]):,} signals in {out[-1]} s (budget 10 s)"
        )

    out = subprocess.run(
        [*manage, "shell", "-c", EXPORT.format(since=since)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    print(
        f"  XLSX export: {int(out[-3]):,} rows in {out[-2]} s, process peak {out[-1]} MB (budget 60 s, 300 MB)"
    )

    key = subprocess.run(
        [*manage, "shell", "-c", SESSION.format(username="supervisor", backend="agencies.backends.StaffBackend")],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    server = gunicorn(sys.executable, "config.wsgi", PORT, env, ROOT)
    try:
        wait_for(PORT)
        times = measure(PORT, f"sessionid={key}", ["/reports/dashboard/"], args.requests, "board")
        report("dashboard (centre)", times, 300.0)
    finally:
        stop(server)
    print(f"  (the month has {in_month:,} signals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
