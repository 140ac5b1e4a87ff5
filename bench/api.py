"""Speed of the REST API at a million signals.

    python bench/api.py [--requests 200]

Runs on `<name>_ui`, the million-signal database of `bench/ui.py` (load it there first):
gunicorn with two sync workers, a personal token of the demo analyst, and `--requests`
sequential requests to each of: the signal list (first page of 50), the list filtered by
status and topic, a full-text search (a different word each time), a later page reached by its
cursor, and one signal's detail (a different signal each time).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
from urllib.parse import quote

import psycopg
from common import ROOT, ui_database
from ui import WORDS, gunicorn, measure, report, stop, wait_for

PORT = 8774
TOKEN = """
from agencies.models import User
from agencies.services import api_token_create
print(api_token_create(user=User.objects.get(username="analyst"), name="bench", days=1)[1])
"""


def _get(path: str, token: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    body = connection.getresponse().read()
    connection.close()
    return json.loads(body)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    url, env = ui_database()
    env = {**env, "API_RATE": "1000000/min"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    token = (
        subprocess.run(
            [*manage, "shell", "-c", TOKEN], env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM signals_app_signal").fetchone()[0]
        numbers = [row[0] for row in conn.execute(
            "SELECT number FROM signals_app_signal ORDER BY random() LIMIT 400")]  # fmt: skip
        topics = [row[0] for row in conn.execute(
            "SELECT id FROM signals_app_category WHERE parent_id IS NULL ORDER BY id")]  # fmt: skip
    print(f"bench api  cores={os.cpu_count()}  signals={total:,}")
    server = gunicorn(sys.executable, "config.wsgi", PORT, env, ROOT)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        wait_for(PORT, "/api/v1/statuses/")
        # Cursors of later pages, found by walking from the first page.
        cursors, page = [], _get("/api/v1/signals/?status=in_progress", token)
        while page.get("next") and len(cursors) < 20:
            cursors.append(page["next"].split("127.0.0.1", 1)[-1].split(f":{PORT}", 1)[-1])
            page = _get(cursors[-1], token)
        targets = {
            "list, first page": ["/api/v1/signals/"],
            "list, status + topic": [
                f"/api/v1/signals/?status=in_progress&category={topic}" for topic in topics
            ],
            "list, full-text search": [f"/api/v1/signals/?q={quote(word)}" for word in WORDS],
            "list, a later page by cursor": cursors,
            "signal detail": [f"/api/v1/signals/{number}/" for number in numbers],
        }
        for name, paths in targets.items():
            budget = 150.0 if name == "signal detail" else 200.0
            expect = "timeline" if name == "signal detail" else "results"
            report(name, measure(PORT, "", paths, args.requests, expect, headers=headers), budget)
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
