"""Outages with real processes: Redis stopped and started again, a worker killed mid-batch.

A Redis server (the one `make run` embeds) runs on a free port for each test; a real Celery
worker runs as a subprocess against the test database. Nothing accepted may be lost, nothing
may be created twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.urls import reverse

from signals_app.models import InboundMessage, Signal
from tests.factories import SourceFactory
from tests.travel import child_argv

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "outage-token"


def start_worker(redis_url: str) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        child_argv("-m", "celery", "-A", "config", "worker", "--pool", "solo",
                   "-Q", "ingest", "-l", "WARNING", "-n", f"outage{os.getpid()}@%h"),
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=30)


def send_sweep(redis_url: str) -> None:
    """What beat sends every minute, here without waiting for the minute."""
    Celery(broker=redis_url, set_as_current=False).send_task(
        "ingest.sweep_pending", kwargs={"older_than_seconds": 0}, queue="ingest"
    )


def wait_until(check, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError("timed out")


def pending() -> int:
    return InboundMessage.objects.filter(state=InboundMessage.State.PENDING).count()


def test_redis_stopped_then_started_every_message_is_processed_once(client, region, redis):
    SourceFactory(region=region, slug="api-o", channel="api", secret=TOKEN)
    vk = SourceFactory(region=region, slug="vk-o", channel="vk", secret="vk-s")
    redis.stop()

    items = [
        {
            "external_id": f"o-{n}",
            "text": f"Нет света в подъезде {n}",
            "posted_at": "2026-11-24T10:00:00+05:00",
        }
        for n in range(3)
    ]
    response = client.post(
        reverse("ingest", args=["api-o"]), data=json.dumps({"items": items}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Token {TOKEN}",
    )  # fmt: skip
    assert response.status_code == 202 and response.json()["accepted"] == 3
    for n in (1, 2, 2):  # the last one is VK retrying event 2
        event = {
            "type": "wall_reply_new", "event_id": f"ev{n}", "group_id": 1, "secret": vk.secret,
            "object": {"id": n, "from_id": 7, "date": 1764000000, "text": f"Яма у дома {n}",
                       "post_id": 5, "owner_id": -1},
        }  # fmt: skip
        answer = client.post(
            reverse("hook_vk", args=["vk-o"]),
            data=json.dumps(event),
            content_type="application/json",
        )
        assert answer.status_code == 200 and answer.content == b"ok"
    assert pending() == 5 and Signal.objects.count() == 0

    redis.start()
    worker = start_worker(redis.url)
    try:
        send_sweep(redis.url)
        wait_until(lambda: pending() == 0)
    finally:
        stop_worker(worker)

    assert Signal.objects.count() == 5
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"processed"}
    assert sorted(Signal.objects.values_list("external_id", flat=True)) == [
        "o-0", "o-1", "o-2", "wall_reply:-1_5_1", "wall_reply:-1_5_2",
    ]  # fmt: skip


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(client, region, redis):
    SourceFactory(region=region, slug="api-k", channel="api", secret=TOKEN)
    count = 3000
    for start in range(0, count, 1000):
        items = [
            {"external_id": f"k-{n}", "text": f"Сообщение номер {n} о проблеме во дворе",
             "posted_at": "2026-11-24T10:00:00+05:00"}
            for n in range(start, start + 1000)
        ]  # fmt: skip
        response = client.post(
            reverse("ingest", args=["api-k"]), data=json.dumps({"items": items}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Token {TOKEN}",
        )  # fmt: skip
        assert response.json()["accepted"] == 1000

    worker = start_worker(redis.url)
    try:
        send_sweep(redis.url)  # whatever the requests queued, the sweep takes all of it
        wait_until(lambda: Signal.objects.exists(), timeout=60)  # the first batch is in
        stop_worker(worker, signal.SIGKILL)  # the worker dies in the middle of its work
        done_at_kill = Signal.objects.count()
        assert 0 < done_at_kill < count, done_at_kill
        worker = start_worker(redis.url)
        send_sweep(redis.url)
        wait_until(lambda: pending() == 0, timeout=120)
    finally:
        stop_worker(worker)

    assert Signal.objects.count() == count
    assert InboundMessage.objects.filter(state="processed").count() == count
    assert Signal.objects.values("external_id").distinct().count() == count
    # The killed batch's numbers were rolled back with it: still one unbroken sequence.
    numbers = sorted(
        int(number.rsplit("-", 1)[1]) for number in Signal.objects.values_list("number", flat=True)
    )
    assert numbers == list(range(numbers[0], numbers[0] + count))


def test_the_worker_rides_out_broker_restarts(client, region, redis):
    """The worker of `make run` (its own command line) through six Redis restarts, killed and
    shut down, short and long: still alive, and it processes what arrives afterwards."""
    from config.localrun import process_commands

    SourceFactory(region=region, slug="api-r", channel="api", secret=TOKEN)
    command = process_commands()["worker"]
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}",
        "REDIS_URL": redis.url, "CELERY_BROKER_URL": redis.url, "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    worker = subprocess.Popen(
        child_argv(*command[1:], "-n", f"restarts{os.getpid()}@%h"), env=env, cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(5)
        for round_ in range(6):
            for _ in range(50):  # work in flight as the broker goes away
                send_sweep(redis.url)
            time.sleep(0.2)
            redis.stop()
            time.sleep((0.5, 3)[round_ % 2])
            redis.start()
            time.sleep(2)
            assert worker.poll() is None, f"the worker exited after restart {round_ + 1}"
        items = [{"external_id": f"r-{n}", "text": f"Нет света {n}",
                  "posted_at": "2026-11-24T10:00:00+05:00"} for n in range(3)]  # fmt: skip
        response = client.post(
            reverse("ingest", args=["api-r"]), data=json.dumps({"items": items}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Token {TOKEN}",
        )  # fmt: skip
        assert response.status_code == 202
        send_sweep(redis.url)
        wait_until(lambda: Signal.objects.filter(external_id__startswith="r-").count() == 3)
    finally:
        stop_worker(worker)
