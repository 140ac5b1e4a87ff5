"""PostgreSQL stopped and frozen (a real server of the test's own) under the intake server of
`make run`: every request is a quick 503 with Retry-After and one log line, never a 500, never a
traceback, never a hang; back to normal once the database is."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.localrun import process_commands
from tests.servers import PostgresServer, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database():
    server = PostgresServer(free_port())
    server.start()
    yield server
    server.remove()


def call(url: str, body: dict | None = None) -> tuple[int, dict[str, str], bytes, float]:
    started = time.monotonic()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, content = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, content = error.code, dict(error.headers), error.read()
    return status, headers, content, time.monotonic() - started


def test_the_intakes_answer_503_quickly_when_postgresql_is_down_or_frozen(database, tmp_path):
    port = free_port()
    command = process_commands()["intake"]
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    log = tmp_path / "intake.log"
    env = {**os.environ, "DATABASE_URL": database.url, "DB_CONNECT_TIMEOUT": "2",
           "LOG_LEVEL": "INFO"}  # fmt: skip
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: call(base + "/healthz/")[0] == 200, timeout=30)
        hook = base + "/hooks/vk/city/"
        event = {"type": "wall_reply_new", "event_id": "e1", "group_id": 1, "object": {}}

        database.stop()
        for url, body in ((hook, event), (base + "/open311/v2/services.json", None)):
            status, headers, content, took = call(url, body)
            assert (status, headers.get("Retry-After")) == (503, "30"), content
            assert took < 5
        status, headers, content, took = call(base + "/api/v1/ingest/pos/", {"text": "Нет воды"})
        assert status == 503 and json.loads(content)["code"] == "unavailable"

        database.start()
        database.freeze()
        status, headers, content, took = call(hook, event)
        assert (status, headers.get("Retry-After")) == (503, "30")
        assert took < 8  # the connect timeout, not as long as the database stays frozen
        database.thaw()
        wait_for(lambda: call(base + "/healthz/")[0] == 200, timeout=30)
    finally:
        server.terminate()
        server.wait(20)
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("database_unavailable") >= 4  # one line per refused request
