"""What the benchmarks share: a fresh, migrated database of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BenchDatabase:
    name: str
    url: str
    admin: str  # a connection string to the server's maintenance database

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.url, "LOG_LEVEL": "WARNING", **extra}

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def named_database(suffix: str) -> BenchDatabase:
    """`<DATABASE_URL's name>_<suffix>` on the same server (not created here)."""
    base = dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
    )
    port = base["PORT"] or 5432
    return BenchDatabase(
        name=f"{base['NAME']}_{suffix}",
        url=f"postgres://{base['USER']}@{base['HOST']}:{port}/{base['NAME']}_{suffix}",
        admin=f"host={base['HOST']} port={port} user={base['USER']} dbname=postgres",
    )


def migrate(database: BenchDatabase) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
        env=database.env(),
        check=True,
    )


def fresh_database(suffix: str) -> BenchDatabase:
    """Drop and create `<DATABASE_URL's name>_<suffix>` and migrate it."""
    database = named_database(suffix)
    database.drop()
    with psycopg.connect(database.admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database.name}"')
    migrate(database)
    return database


def demo_database(
    suffix: str, signals: int, *, reuse: bool, usable: Callable[[Any], bool] = lambda conn: True
) -> BenchDatabase:
    """A database of `signals` demo signals over 150 days: kept between runs, taken as it is
    with `reuse` when it holds them (and `usable` says it is fit), else loaded afresh."""
    kept = named_database(suffix)
    if reuse:
        try:
            with psycopg.connect(kept.url) as conn:
                count = conn.execute("SELECT count(*) FROM signals_app_signal").fetchone()[0]
                fit = count >= signals and usable(conn)
            if fit:
                migrate(kept)
                print(f"reusing {kept.name} with {count:,} signals")
                return kept
        except psycopg.OperationalError:
            pass
    database = fresh_database(suffix)
    started = time.monotonic()
    # Spread over 150 days, the busiest month holds about a fifth of the signals (~200,000 of a
    # million): the load the monthly report's benchmark is specified for.
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "demo_load", "--signals", str(signals),
         "--days", "150", "--no-classifier"],
        env=database.env(), check=True,
    )  # fmt: skip
    print(f"loaded {signals:,} signals in {time.monotonic() - started:.0f} s")
    return database


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ui_database() -> tuple[str, dict[str, str]]:
    """The million-signal database of bench/ui.py and an environment for a server on it."""
    base = dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
    )
    url = f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/{base['NAME']}_ui"
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "DEBUG": "false",
           "SECRET_KEY": "bench-" + "k" * 40}  # fmt: skip
    return url, env
