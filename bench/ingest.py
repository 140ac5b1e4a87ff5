"""Ingestion end to end: HTTP → inbox → processed signal, with a real server and workers.

    python bench/ingest.py [--items 100000] [--vk-seconds 30] [--vk-rate 200] [--keep]

Sets up a fresh database `<name>_ingest_bench` with the demo region (20,000 signals, so the
text classifier is trained and the duplicate checks have history), starts gunicorn (4 sync
workers) and a Celery worker on the ingest queue (3 processes — a batch waits on PostgreSQL a third of
its time — at a lower CPU priority), then:

1. batch API: `--items` items in requests of 1,000, two connections at a time; the figure is
   items per second from the first request to the moment the last message is processed
   (classified, routed, deadlines set);
2. VK Callback API: single `wall_reply_new` events with unique event_id, paced at `--vk-rate`
   requests per second for `--vk-seconds`, then as fast as 4 and 16 connections go; the figures
   are the achieved rate and the latency percentiles of the HTTP answer, while the worker
   processes the events at the same time.

The load generator is an asyncio HTTP/1.1 client in this file (no extra dependency); it runs on
the same machine and takes its share of the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from common import fresh_database, percentile

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
TOKEN = "bench-token-" + "x" * 20
VK_SECRET = "bench-vk-secret"
SETUP = """
from agencies.models import OfficialPage
from signals_app.models import Source
page = OfficialPage.objects.filter(network="vk", is_active=True).order_by("pk").first()
Source.objects.update_or_create(slug="bench-api", defaults=dict(
    region=page.agency.region, name="Bench API", channel="api", secret="{token}"))
Source.objects.update_or_create(slug="bench-vk", defaults=dict(
    region=page.agency.region, name="Bench VK", channel="vk", secret="{secret}",
    confirmation_code="bench", official_page=page))
print(page.external_id)
"""


async def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    """One POST on a fresh connection (gunicorn's sync workers close after each answer)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()  # headers and body, until the server closes
    writer.close()
    return int(status_line.split()[1]), time.perf_counter() - started


def wait_processed(url: str, since_id: int, expected: int, timeout: float = 900) -> float:
    """Wait until no message after since_id is pending; return the moment it happened."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            pending, total = conn.execute(
                "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) "
                "FROM signals_app_inboundmessage WHERE id > %s",
                [since_id],
            ).fetchone()
            if total >= expected and pending == 0:
                return time.monotonic()
            time.sleep(0.2)
    raise SystemExit("processing did not finish in time")


def last_message_id(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT coalesce(max(id), 0) FROM signals_app_inboundmessage"
        ).fetchone()[0]


def outcome(url: str, since_id: int) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """
            SELECT count(*) FILTER (WHERE m.state = 'processed'),
                   count(*) FILTER (WHERE m.state = 'failed'),
                   count(*) FILTER (WHERE s.category_id IS NOT NULL),
                   count(*) FILTER (WHERE s.agency_id IS NOT NULL),
                   count(*) FILTER (WHERE s.answer_due_at IS NOT NULL),
                   count(*) FILTER (WHERE s.duplicate_of_id IS NOT NULL)
              FROM signals_app_inboundmessage m
              LEFT JOIN signals_app_signal s ON s.id = m.signal_id
             WHERE m.id > %s
            """,
            [since_id],
        ).fetchone()
    names = ("processed", "failed", "categorised", "routed", "with deadlines", "repeats")
    return dict(zip(names, row, strict=True))


def bench_batch_api(url: str, texts: list[str], items: int) -> None:
    per_request = 1000
    bodies = []
    for start in range(0, items, per_request):
        batch = []
        for n in range(start, min(items, start + per_request)):
            batch.append(
                {
                    "external_id": f"b-{n}-{uuid.uuid4().hex[:8]}",
                    "text": f"{random.choice(texts)} (обращение {n})",
                    "posted_at": "2026-11-28T10:00:00+05:00",
                    "author": {"name": f"Житель {n}", "profile_url": f"https://vk.com/id{n}"},
                    "municipality": random.choice(["Челябинск", "Копейск", "Магнитогорск", ""]),
                }
            )
        bodies.append(json.dumps({"items": batch}, ensure_ascii=False).encode())
    since = last_message_id(url)
    headers = {"Authorization": f"Token {TOKEN}"}
    latencies: list[float] = []

    async def run() -> None:
        queue = list(bodies)

        async def client() -> None:
            while queue:
                status, latency = await post("/api/v1/ingest/bench-api/", queue.pop(), headers)
                assert status == 202, status
                latencies.append(latency)

        await asyncio.gather(client(), client())

    started = time.monotonic()
    asyncio.run(run())
    answered = time.monotonic()
    done = wait_processed(url, since, items)
    figures = outcome(url, since)
    print(f"  requests        {len(bodies)} × {per_request} items, 2 connections")
    print(
        f"  HTTP phase      {answered - started:8.1f} s   {items / (answered - started):8,.0f} items/s accepted"
    )
    print(
        f"  request time    p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms"
    )
    print(
        f"  end to end      {done - started:8.1f} s   {items / (done - started):8,.0f} signals/s (HTTP → processed)"
    )
    print("  outcome         " + ", ".join(f"{name} {value:,}" for name, value in figures.items()))


def vk_event(group_id: str, n: int) -> bytes:
    return json.dumps(
        {
            "type": "wall_reply_new",
            "event_id": uuid.uuid4().hex,
            "v": "5.199",
            "group_id": int(group_id),
            "secret": VK_SECRET,
            "object": {
                "id": n,
                "from_id": 1_000_000 + n,
                "date": int(time.time()),
                "text": f"Когда починят дорогу у дома {n}? Уже месяц ямы, колёса бьём ({uuid.uuid4().hex[:6]})",
                "post_id": 1000 + n % 50,
                "owner_id": -int(group_id),
            },
        },
        ensure_ascii=False,
    ).encode()


def bench_vk(url: str, group_id: str, seconds: float, rate: float) -> None:
    since = last_message_id(url)

    async def paced() -> list[float]:
        latencies: list[float] = []
        interval = 1 / rate
        started = time.perf_counter()
        tasks = []

        async def one(n: int) -> None:
            status, latency = await post("/hooks/vk/bench-vk/", vk_event(group_id, n), {})
            assert status == 200, status
            latencies.append(latency)

        n = 0
        while time.perf_counter() - started < seconds:
            tasks.append(asyncio.create_task(one(n)))
            n += 1
            await asyncio.sleep(max(0.0, started + n * interval - time.perf_counter()))
        await asyncio.gather(*tasks)
        return latencies

    async def flat_out(connections: int, duration: float) -> tuple[int, list[float]]:
        latencies: list[float] = []
        stop = time.perf_counter() + duration
        counter = iter(range(10**9))

        async def client() -> None:
            while time.perf_counter() < stop:
                status, latency = await post(
                    "/hooks/vk/bench-vk/", vk_event(group_id, 500_000 + next(counter)), {}
                )
                assert status == 200, status
                latencies.append(latency)

        await asyncio.gather(*(client() for _ in range(connections)))
        return len(latencies), latencies

    started = time.monotonic()
    latencies = asyncio.run(paced())
    elapsed = time.monotonic() - started
    print(
        f"  paced           {len(latencies):,} events in {elapsed:.1f} s = "
        f"{len(latencies) / elapsed:,.0f} req/s (target {rate:.0f}), answer time "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    for connections in (4, 16):
        count, latencies = asyncio.run(flat_out(connections, 15))
        print(
            f"  flat out        {count / 15:,.0f} req/s with {connections} connections, "
            f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms"
        )
    with psycopg.connect(url) as conn:
        total = conn.execute(
            "SELECT count(*) FROM signals_app_inboundmessage WHERE id > %s", [since]
        ).fetchone()[0]
    done = wait_processed(url, since, total)
    print(
        f"  backlog done    {done - started:.1f} s after the first event; "
        + ", ".join(f"{name} {value:,}" for name, value in outcome(url, since).items())
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--vk-seconds", type=float, default=30)
    parser.add_argument("--vk-rate", type=float, default=200)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    database = fresh_database("ingest_bench")
    url = database.url
    env = database.env(DEBUG="0")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "demo_load", "--signals", "20000"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    group_id = subprocess.run(
        [*manage, "shell", "-c", SETUP.format(token=TOKEN, secret=VK_SECRET)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    with psycopg.connect(url) as conn:
        texts = [
            row[0]
            for row in conn.execute(
                "SELECT text FROM signals_app_signal ORDER BY random() LIMIT 5000"
            )
        ]

    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
             "--workers", "4", "--log-level", "warning", "--backlog", "2048"],
            env=env, cwd=ROOT,
        ),
        subprocess.Popen(
            # The worker yields the CPU to the web answers (nice): webhooks must be answered at
            # once, processing may lag a little behind a burst.
            ["nice", "-n", "10", sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "WARNING",
             "-Q", "ingest", "--concurrency", "3", "-n", "bench@%h"],
            env=env, cwd=ROOT,
        ),
    ]  # fmt: skip
    try:
        time.sleep(6)  # gunicorn and the worker start
        print()
        print(f"bench ingest  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}")
        print("batch JSON API")
        bench_batch_api(url, texts, args.items)
        print("VK Callback API")
        bench_vk(url, group_id, args.vk_seconds, args.vk_rate)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        if not args.keep:
            database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
