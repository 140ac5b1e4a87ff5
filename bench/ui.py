"""Page speed of the case UI at a million signals, against django-helpdesk's ticket list.

    python bench/ui.py [--signals 1000000] [--requests 200] [--reuse] [--no-helpdesk]

1. Our side: a database `<name>_ui` loaded by the demo loader with `--signals` signals (kept
   between runs; `--reuse` takes it as it is when it already holds them), gunicorn with two
   sync workers, and `--requests` sequential requests, logged in as the demo analyst, to each
   of: the queue's default view, a filtered view (status, topic and municipality), a Russian
   full-text search (a different word each time), a search holding a stop word (the only
   kind sorted by relevance: «нет воды») and the signal page (a different signal each
   time). One client at a time, so the latency is the server's render time plus the loopback.
2. django-helpdesk, installed into its own virtualenv under `.local/`, on a database
   `<name>_helpdesk` on the same PostgreSQL with the same number of tickets (inserted with
   SQL), gunicorn with two workers, logged in as a superuser: its ticket list page and the
   JSON request its table makes for the rows (the list is the two together).

Prints p50 / p95 / max per page.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import psycopg
from common import ROOT, demo_database, percentile

OUR_PORT = 8771
HELPDESK_PORT = 8772
HELPDESK_VENV = ROOT / ".local" / "helpdesk-venv"
HELPDESK_PACKAGES = ["django-helpdesk>=2.6,<3", "dj-database-url", "gunicorn", "psycopg[binary]"]
WORDS = [
    "вода", "мусор", "яма", "дорога", "отопление", "свет", "автобус", "школа", "врач",
    "контейнер", "фонарь", "подъезд", "лифт", "талон", "снег", "канализация", "детский",
    "свалка", "газ", "тротуар",
]  # fmt: skip
RANKED = [
    "нет воды", "не работает лифт", "нет света", "не вывозят мусор", "нет талонов",
    "яма на дороге", "холодно в школе", "не горят фонари", "автобус не ходит", "нет врача",
]  # fmt: skip
SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.get(username="{username}")
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "{backend}"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(store.session_key)
"""


def wait_for(port: int, path: str = "/login/", seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server on port {port} did not come up")


def measure(
    port: int,
    cookie: str,
    paths: list[str],
    requests: int,
    expect: str = "",
    budget_seconds: float | None = None,
    headers: dict[str, str] | None = None,
) -> list[float]:
    """Sequential GETs (a warm-up of ten first); every answer must be 200 with `expect`.

    With `budget_seconds`, stops early once that much time has gone (for pages that take
    seconds each); the printed n says how many were timed.
    """
    times: list[float] = []
    started_all = time.monotonic()
    warm_up = 10 if budget_seconds is None else 2
    for index in range(requests + warm_up):
        if budget_seconds is not None and time.monotonic() - started_all > budget_seconds:
            break
        path = paths[index % len(paths)]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        sent = {"Cookie": cookie, "Host": "127.0.0.1", **(headers or {})}
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != 200 or expect.encode() not in body:
            raise SystemExit(f"GET {path} answered {response.status}: {body[:300]!r}")
        if index >= warm_up:
            times.append(elapsed)
    return times


def gunicorn(python: str, app: str, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [python, "-m", "gunicorn", app, "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "--log-level", "warning"],
        env=env, cwd=cwd, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def report(name: str, times: list[float], budget_ms: float | None = None) -> None:
    p95 = percentile(times, 0.95) * 1000
    verdict = (
        "" if budget_ms is None else ("  ok" if p95 < budget_ms else f"  OVER {budget_ms:.0f}")
    )
    print(
        f"  {name:<34} n={len(times):>4}  p50 {statistics.median(times) * 1000:7.1f} ms"
        f"  p95 {p95:7.1f} ms  max {max(times) * 1000:7.1f} ms{verdict}"
    )


# --- our side -------------------------------------------------------------------------------


def our_database(signals: int, reuse: bool) -> str:
    return demo_database("ui", signals, reuse=reuse).url


def our_targets(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        numbers = [
            row[0]
            for row in conn.execute(
                "SELECT number FROM signals_app_signal ORDER BY random() LIMIT 400"
            )
        ]
        topics = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM signals_app_category WHERE parent_id IS NULL ORDER BY id"
            )
        ]
        places = [row[0] for row in conn.execute(
            "SELECT municipality_id, count(*) FROM signals_app_signal WHERE municipality_id IS NOT NULL"
            " GROUP BY 1 ORDER BY 2 DESC LIMIT 8")]  # fmt: skip
    random.seed(7)
    filtered = [
        f"/signals/?status=in_progress&category={random.choice(topics)}&municipality={random.choice(places)}"
        for _ in range(50)
    ]
    searches = [f"/signals/?view=&q={quote(word)}" for word in WORDS]
    # Searches holding a stop word: the only ones sorted by relevance (every word first).
    ranked = [f"/signals/?view=&q={quote(words)}" for words in RANKED]
    return {
        "queue, default view (analyst)": ["/signals/"],
        "queue, three filters": filtered,
        "queue, full-text search": searches,
        "queue, search with a stop word (ranked)": ranked,
        "signal page": [f"/signals/{number}/" for number in numbers],
    }


def run_ours(url: str, requests: int) -> None:
    env = {
        **os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "DEBUG": "false",
        "SECRET_KEY": "bench-" + "k" * 40,
    }  # fmt: skip
    key = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c",
         SESSION.format(username="analyst", backend="agencies.backends.StaffBackend")],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=env,
        check=True,
    )
    server = gunicorn(sys.executable, "config.wsgi", OUR_PORT, env, ROOT)
    try:
        wait_for(OUR_PORT)
        cookie = f"sessionid={key}"
        budgets = {"signal page": 150.0}
        for name, paths in our_targets(url).items():
            expect = "results" if name.startswith("queue") else "timeline"
            report(
                name, measure(OUR_PORT, cookie, paths, requests, expect), budgets.get(name, 200.0)
            )
    finally:
        stop(server)


# --- django-helpdesk ------------------------------------------------------------------------

TICKETS_SQL = """
INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status, on_hold,
    description, resolution, priority, queue_id, secret_key)
SELECT left(t.text, 120),
       now() - (g %% 900) * interval '1 day' - (g %% 1440) * interval '1 minute',
       now(), 'citizen' || g || '@example.org', 1 + g %% 4, false, t.text, '', 1 + g %% 5,
       q.ids[1 + g %% array_length(q.ids, 1)], md5(g::text)
FROM generate_series(1, %(count)s) AS g
CROSS JOIN (SELECT array_agg(id) AS ids FROM helpdesk_queue) AS q
CROSS JOIN LATERAL (SELECT (%(texts)s::text[])[1 + g %% %(n)s] AS text) AS t
"""
HELPDESK_SETUP = """
from django.contrib.auth import get_user_model
from helpdesk.models import Queue
User = get_user_model()
if not User.objects.filter(username="bench").exists():
    User.objects.create_superuser("bench", "bench@example.org", "bench-pass-1")
for index in range(10):
    Queue.objects.get_or_create(slug=f"q{index}", defaults={"title": f"Очередь {index}"})
"""


def run_helpdesk(count: int, requests: int, our_url: str) -> None:
    python = str(HELPDESK_VENV / "bin" / "python")
    if not (HELPDESK_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(HELPDESK_VENV)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *HELPDESK_PACKAGES], check=True)
    base = dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
    )
    name = f"{base['NAME']}_helpdesk"
    admin = f"host={base['HOST']} port={base['PORT'] or 5432} user={base['USER']} dbname=postgres"
    url = f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "HELPDESK_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
           "PYTHONPATH": str(ROOT / "bench")}  # fmt: skip
    env.pop("DATABASE_URL", None)
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([python, "-m", "django", "shell", "-c", HELPDESK_SETUP], env=env, check=True)
    with psycopg.connect(our_url) as conn:
        texts = [row[0] for row in conn.execute("SELECT text FROM signals_app_signal LIMIT 500")]
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        conn.execute(TICKETS_SQL, {"count": count, "texts": texts, "n": len(texts)})
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"helpdesk: inserted {count:,} tickets in {time.monotonic() - started:.0f} s")
    key = subprocess.run(
        [python, "-m", "django", "shell", "-c",
         SESSION.format(username="bench", backend="django.contrib.auth.backends.ModelBackend")],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    server = gunicorn(python, "helpdesk_site.wsgi", HELPDESK_PORT, env, ROOT / "bench")
    try:
        wait_for(HELPDESK_PORT, "/helpdesk/tickets/")
        cookie = f"sessionid={key}"
        connection = http.client.HTTPConnection("127.0.0.1", HELPDESK_PORT, timeout=60)
        connection.request("GET", "/helpdesk/tickets/", headers={"Cookie": cookie})
        page = connection.getresponse().read().decode()
        match = re.search(r"/helpdesk/datatables_ticket_list/[A-Za-z0-9_=-]+", page)
        if match is None:
            raise SystemExit("the helpdesk ticket list has no data URL")
        data = match.group(0) + "?draw=1&start=0&length=25&order[0][column]=0&order[0][dir]=desc"
        report(
            "helpdesk ticket list page",
            measure(HELPDESK_PORT, cookie, ["/helpdesk/tickets/"], requests, "ticket"),
        )
        # Seconds a request: timed for five minutes, not for all of --requests.
        rows = measure(HELPDESK_PORT, cookie, [data], requests, "data", budget_seconds=300)
        report("helpdesk ticket list rows (JSON)", rows)
    finally:
        stop(server)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--no-helpdesk", action="store_true")
    parser.add_argument("--only-helpdesk", action="store_true")
    args = parser.parse_args()
    url = our_database(args.signals, args.reuse)
    print(
        f"\nbench ui  cores={os.cpu_count()}  date={time.strftime('%Y-%m-%d')}  signals={args.signals:,}"
    )
    if not args.only_helpdesk:
        run_ours(url, args.requests)
    if not args.no_helpdesk:
        run_helpdesk(args.signals, args.requests, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
