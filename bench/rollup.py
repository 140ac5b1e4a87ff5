"""The analytics' counts: what adding a batch to them costs in the batch write.

    python bench/rollup.py [--batches 30] [--size 1000]

A fresh database `<name>_rollup_bench` with the demo region's reference data (no signals).
Each batch is `--size` new signals spread as the demo spreads them — random municipalities,
subtopics and channels, arrival times over one day — and `counts_add` adds it to the hourly
and daily counts in a transaction of its own, as the batch write does. It prints the time per
batch (p50, p95) and per signal, and the rows the counts hold after all batches.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from common import fresh_database

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import random, statistics, time
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from agencies.models import Municipality, Region
from signals_app.analytics.models import DayCount, HourCount
from signals_app.analytics.rollup import counts_add
from signals_app.models import Category, Signal
region = Region.objects.get(code="74")
places = list(Municipality.objects.filter(region=region).values_list("pk", flat=True))
subtopics = list(Category.objects.filter(region=region, level=2).values_list("pk", flat=True))
channels = ["vk", "ok", "telegram", "pos", "widget", "phone", "email"]
rng = random.Random(7)
start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
times = []
for batch in range({batches}):
    signals = [Signal(region_id=region.pk, municipality_id=rng.choice(places),
                      category_id=rng.choice(subtopics), channel=rng.choice(channels),
                      received_at=start + timedelta(seconds=rng.randrange(86400)))
               for _ in range({size})]
    began = time.perf_counter()
    with transaction.atomic():
        counts_add(signals)
    times.append(time.perf_counter() - began)
times.sort()
p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95) - 1]
print(f"  per batch of {size}: p50 {{p50 * 1000:.1f}} ms, p95 {{p95 * 1000:.1f}} ms; "
      f"per signal {{p50 / {size} * 1e6:.0f}} µs")
print(f"  rows: {{HourCount.objects.count()}} hourly, {{DayCount.objects.count()}} daily, "
      f"after {batches} batches")
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    database = fresh_database("rollup_bench")
    env = database.env(DEBUG="0")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "demo_load", "--signals", "0", "--no-classifier"], env=env,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    print(f"bench rollup  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}")
    subprocess.run([*manage, "shell", "-c", SCRIPT.format(batches=args.batches, size=args.size)],
                   env=env, check=True)  # fmt: skip
    database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
