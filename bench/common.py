"""What the benchmarks share: a fresh, migrated database of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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


def fresh_database(suffix: str) -> BenchDatabase:
    """Drop and create `<DATABASE_URL's name>_<suffix>` and migrate it."""
    base = dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
    )
    port = base["PORT"] or 5432
    database = BenchDatabase(
        name=f"{base['NAME']}_{suffix}",
        url=f"postgres://{base['USER']}@{base['HOST']}:{port}/{base['NAME']}_{suffix}",
        admin=f"host={base['HOST']} port={port} user={base['USER']} dbname=postgres",
    )
    database.drop()
    with psycopg.connect(database.admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database.name}"')
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
        env=database.env(),
        check=True,
    )
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
