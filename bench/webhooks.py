"""VK callbacks while analysts work: the answer time a community's server sees.

    python bench/webhooks.py [--analysts 20] [--seconds 30] [--rate 20] [--keep]

A fresh database `<name>_webhooks_bench` with the demo region (20,000 signals), then the process
layout of `make run` (config.localrun.process_commands): the pages' gunicorn (2 workers), the
intakes' gunicorn (2 workers, SERVE_ONLY=intake) and a Celery worker on the ingest queue. While
`--analysts` logged-in clients work through the queue and signal pages (a page, two seconds of
reading, the next), single VK `wall_reply_new` events arrive paced at `--rate` per second:

1. sent to the pages' server, as before the intakes had their own (the shared pool);
2. sent to the intakes' server.

It prints the callbacks' answer time (p50, p95, p99) and the pages' for each. The load generator
is asyncio in this file, on the same machine (its share of the cores is part of the load).
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
from ui import SESSION

ROOT = Path(__file__).resolve().parent.parent
PAGES, INTAKE = 8775, 8776
VK_SECRET = "bench-vk-secret"
SETUP = """
from agencies.models import OfficialPage
from signals_app.models import Source
page = OfficialPage.objects.filter(network="vk", is_active=True).order_by("pk").first()
Source.objects.update_or_create(slug="bench-vk", defaults=dict(
    region=page.agency.region, name="Bench VK", channel="vk", secret="{secret}",
    confirmation_code="bench", official_page=page))
print(page.external_id)
"""


async def request(port: int, method: str, path: str, body: bytes = b"",
                  headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> tuple[int, float]:  # fmt: skip
    """One request on its own connection: the status and the seconds it took."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    writer.write(
        (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    return int(status_line.split()[1]), time.perf_counter() - started


def vk_event(group_id: str, n: int) -> bytes:
    return json.dumps({
        "type": "wall_reply_new", "event_id": uuid.uuid4().hex, "v": "5.199",
        "group_id": int(group_id), "secret": VK_SECRET,
        "object": {"id": n, "from_id": 1_000_000 + n, "date": int(time.time()),
                   "text": f"Когда починят дорогу у дома {n}? ({uuid.uuid4().hex[:6]})",
                   "post_id": 1000 + n % 50, "owner_id": -int(group_id)},
    }, ensure_ascii=False).encode()  # fmt: skip


async def scenario(callback_port: int, group_id: str, cookie: str, numbers: list[str],
                   analysts: int, seconds: float, rate: float, offset: int) -> tuple[list, list]:  # fmt: skip
    hooks: list[float] = []
    pages: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def analyst() -> None:
        await asyncio.sleep(random.random() * 2)
        while time.perf_counter() < stop_at:
            path = random.choice(
                ["/signals/", "/signals/?view=", f"/signals/{random.choice(numbers)}/"]
            )
            status, took = await request(PAGES, "GET", path, headers={"Cookie": cookie})
            assert status == 200, (status, path)
            pages.append(took)
            await asyncio.sleep(2)

    async def callbacks() -> None:
        tasks = []
        started = time.perf_counter()
        n = 0

        async def one(number: int) -> None:
            status, took = await request(callback_port, "POST", "/hooks/vk/bench-vk/",
                                         vk_event(group_id, number))  # fmt: skip
            assert status == 200, status
            hooks.append(took)

        while time.perf_counter() < stop_at:
            tasks.append(asyncio.create_task(one(offset + n)))
            n += 1
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        await asyncio.gather(*tasks)

    await asyncio.gather(callbacks(), *(analyst() for _ in range(analysts)))
    return hooks, pages


def line(name: str, times: list[float]) -> str:
    return (
        f"{name:<10} n={len(times):>5}  p50 {statistics.median(times) * 1000:7.1f} ms  "
        f"p95 {percentile(times, 0.95) * 1000:7.1f} ms  p99 {percentile(times, 0.99) * 1000:7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--analysts", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    # The addresses process_commands() binds, set before config.localrun reads them.
    os.environ.update(WEB_ADDRESS=f"127.0.0.1:{PAGES}", INTAKE_ADDRESS=f"127.0.0.1:{INTAKE}")
    sys.path.insert(0, str(ROOT))
    from config.localrun import process_commands

    database = fresh_database("webhooks_bench")
    env = database.env(DEBUG="0", SECRET_KEY="bench-" + "k" * 40)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "demo_load", "--signals", "20000"], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
    group_id = subprocess.run([*manage, "shell", "-c", SETUP.format(secret=VK_SECRET)], env=env,
                              check=True, capture_output=True, text=True).stdout.split()[-1]  # fmt: skip
    key = subprocess.run(
        [*manage, "shell", "-c",
         SESSION.format(username="analyst", backend="agencies.backends.StaffBackend")],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.split()[-1]  # fmt: skip
    with psycopg.connect(database.url) as conn:
        numbers = [row[0] for row in conn.execute(
            "SELECT number FROM signals_app_signal ORDER BY random() LIMIT 200")]  # fmt: skip
    commands = process_commands()
    worker = commands["worker"]
    worker[worker.index("-Q") + 1] = "ingest"
    layout = [
        commands["web"],
        commands["intake"],
        ["nice", "-n", "10", *worker],
    ]
    processes = [
        subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in layout
    ]  # fmt: skip
    try:
        time.sleep(8)
        print()
        print(f"bench webhooks  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}  "
              f"analysts={args.analysts}  VK rate={args.rate:.0f}/s  {args.seconds:.0f} s each")  # fmt: skip
        for name, port, offset in (("shared pool (callbacks to the pages' server)", PAGES, 0),
                                   ("own pool (callbacks to the intakes' server)", INTAKE, 10**6)):  # fmt: skip
            hooks, pages = asyncio.run(scenario(port, group_id, f"sessionid={key}", numbers,
                                                args.analysts, args.seconds, args.rate, offset))  # fmt: skip
            print(name)
            print("  " + line("callbacks", hooks))
            print("  " + line("pages", pages))
            time.sleep(5)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        if not args.keep:
            database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
