"""Voting day: verified residents voting over the public pages, with identities racing.

    python bench/votes.py [--clients 16] [--seconds 30] [--workers 3] [--race 0.05] [--keep]

A fresh database `<name>_votes_bench`: a region with 40 municipalities and a campaign in its
voting window with 300 objects. Each vote needs a verified session (the state the OpenID
Connect callback leaves: the identity's keyed hash in the session), so the sessions are made
beforehand, one per vote, as the callback would; a `--race` share of them are pairs of
sessions of one identity, cast at the same moment by two clients. Then the pages' gunicorn
(`make run`'s command, `--workers` sync workers) and `--clients` concurrent clients, each
posting votes (`POST /vote/<campaign>/<municipality>/cast/` with its CSRF token) as fast as
it is answered, for `--seconds`.

It prints the votes per second, the answer time (p50, p95, p99), the answers by status, and
from the database: the counted votes, the identities that voted, and those counted twice
(must be 0). The load generator runs on the same machine (its share of the cores is part of
the load).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
from common import fresh_database, percentile
from ui import wait_for
from webhooks import request

ROOT = Path(__file__).resolve().parent.parent
PORT = 8777
CSRF = "b" * 32
SETUP = """
import datetime, json
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from agencies.models import Municipality, Region
from signals_app.votes import identity
from signals_app.votes.models import Campaign, Participation, VoteObject
region = Region.objects.create(code="99", name="Тестовая область", time_zone="Asia/Yekaterinburg")
today = timezone.localdate()
campaign = Campaign.objects.create(region=region, year=today.year, title="Голосование",
    starts_on=today - datetime.timedelta(days=1), ends_on=today + datetime.timedelta(days=30),
    phase="voting")
places = [Municipality.objects.create(region=region, name=f"Город {{n}}", kind="city_district",
          oktmo=f"{{99000000 + n:08d}}") for n in range(40)]
objects = []
for n in range(300):
    place = places[n % 40]
    Participation.objects.get_or_create(campaign=campaign, municipality=place)
    objects.append(VoteObject(campaign=campaign, municipality=place, kind="territory",
                              name=f"Объект {{n}}", build_year=today.year + 1))
VoteObject.objects.bulk_create(objects)
by_place = {{}}
for item in VoteObject.objects.filter(campaign=campaign):
    by_place.setdefault(item.municipality_id, []).append(item.pk)
rows, plan = [], []
at = __import__("time").time() + 3600
for number in range({sessions}):
    person = number // 2 if number < {raced} else number  # the raced come in pairs
    place = places[person % 40]
    verified = {{"identity": identity.oidc_identity("https://esia.bench", str(person)),
                "method": "oidc", "birthdate": "1990-01-01", "oktmo": "", "at": at}}
    store = SessionStore()
    key = store._get_new_session_key()
    rows.append(Session(session_key=key, session_data=store.encode({{"vote_verified": verified}}),
                        expire_date=timezone.now() + datetime.timedelta(days=1)))
    plan.append([key, place.pk, by_place[place.pk][(number * 7) % len(by_place[place.pk])]])
Session.objects.bulk_create(rows, batch_size=2000)
print(json.dumps({{"campaign": campaign.pk, "plan": plan}}))
"""


async def voting(campaign: int, queues: list[list[list]], seconds: float) -> tuple[list, Counter]:
    times: list[float] = []
    statuses: Counter = Counter()
    stop_at = time.perf_counter() + seconds

    async def client(queue: list[list]) -> None:
        for key, place, target in queue:
            if time.perf_counter() >= stop_at:
                return
            body = f"csrfmiddlewaretoken={CSRF}&choice={target}".encode()
            status, took = await request(
                PORT, "POST", f"/vote/{campaign}/{place}/cast/", body,
                {"Cookie": f"sessionid={key}; csrftoken={CSRF}"},
                content_type="application/x-www-form-urlencoded",
            )  # fmt: skip
            statuses[status] += 1
            times.append(took)

    await asyncio.gather(*(client(queue) for queue in queues))
    return times, statuses


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--race", type=float, default=0.05)
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    os.environ.update(WEB_ADDRESS=f"127.0.0.1:{PORT}", WEB_WORKERS=str(args.workers))
    sys.path.insert(0, str(ROOT))
    from config.localrun import process_commands

    database = fresh_database("votes_bench")
    env = database.env(DEBUG="0", SECRET_KEY="bench-" + "k" * 40, LOG_LEVEL="WARNING")
    manage = [sys.executable, str(ROOT / "manage.py")]
    raced = int(args.sessions * args.race) // 2 * 2  # the first ones, in pairs of one identity
    started = time.perf_counter()
    import json

    made = json.loads(subprocess.run(
        [*manage, "shell", "-c", SETUP.format(sessions=args.sessions, raced=raced)], env=env,
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1])  # fmt: skip
    print(f"setup: {args.sessions} verified sessions, 300 objects in 40 municipalities "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    plan = made["plan"]
    # The raced pairs go to two clients at the same place in their queues; the rest shuffled.
    queues: list[list[list]] = [[] for _ in range(args.clients)]
    for index in range(0, raced, 2):
        slot = (index // 2) % args.clients
        queues[slot].append(plan[index])
        queues[(slot + 1) % args.clients].append(plan[index + 1])
    rest = plan[raced:]
    random.shuffle(rest)
    for index, item in enumerate(rest):
        queues[index % args.clients].append(item)
    for queue in queues:  # the raced ones spread through the run
        random.Random(1).shuffle(queue)
    server = subprocess.Popen(process_commands()["web"], env=env, cwd=ROOT,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(PORT)
        times, statuses = asyncio.run(voting(made["campaign"], queues, args.seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    with psycopg.connect(database.url) as conn:
        counted, voters = conn.execute(
            "SELECT count(*), count(DISTINCT voter_id) FROM signals_app_vote WHERE state = 'counted'"
        ).fetchone()
        doubles = conn.execute(
            "SELECT count(*) FROM (SELECT voter_id FROM signals_app_vote WHERE state = 'counted' "
            "GROUP BY voter_id HAVING count(*) > 1) AS twice"
        ).fetchone()[0]
    elapsed = args.seconds
    print()
    print(f"bench votes  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}  "
          f"clients={args.clients}  workers={args.workers}  {args.seconds:.0f} s")  # fmt: skip
    print(f"  answers {len(times)} ({dict(sorted(statuses.items()))}): "
          f"{statuses[200] / elapsed:.0f} votes/s")  # fmt: skip
    print(f"  answer time p50 {percentile(times, 0.5) * 1000:.1f} ms  "
          f"p95 {percentile(times, 0.95) * 1000:.1f} ms  p99 {percentile(times, 0.99) * 1000:.1f} ms")  # fmt: skip
    print(f"  database: {counted} counted votes by {voters} identities; counted twice: {doubles}")
    if not args.keep:
        database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
