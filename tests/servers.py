"""Real servers for the outage tests: a Redis of the test's own, stopped and started at will,
used by the cache and as the broker in and out of process."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from config.celery import app as celery_app
from config.localrun import redis_server_binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir, self.process = port, workdir, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis(tmp_path, settings):
    """A Redis of this test only, used by the cache and as the broker (in and out of process)."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
        }
    }
    old_broker = celery_app.conf.broker_url
    _point_celery_at(server.url)
    yield server
    server.stop()
    _point_celery_at(old_broker)


def _point_celery_at(url: str) -> None:
    """Send this process's tasks to another broker (pools of the old one are dropped)."""
    from kombu import pools

    celery_app.conf.broker_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()
