"""The local runner picks the servers in the documented order."""

from __future__ import annotations

from config import localrun


def test_explicit_urls_win_and_nothing_is_started(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/x")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/1")
    monkeypatch.setattr(
        localrun, "embedded_postgres_start", lambda: (_ for _ in ()).throw(AssertionError)
    )
    monkeypatch.setattr(
        localrun, "embedded_redis_start", lambda: (_ for _ in ()).throw(AssertionError)
    )
    env, stops = localrun.resolve_services(prefer_machine=True)
    assert env["DATABASE_URL"] == "postgres://u@db.example:5432/x"
    assert env["REDIS_URL"] == "redis://cache.example:6379/1"
    assert stops == []


def test_tests_prefer_the_machine_servers_when_they_answer(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(localrun, "port_open", lambda host, port, timeout=0.5: port in (5432, 6379))
    env, stops = localrun.resolve_services(prefer_machine=True)
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/cur"
    assert env["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert stops == []


def test_run_uses_the_embedded_servers_when_nothing_is_set(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(localrun, "embedded_postgres_start", lambda: "postgres://embedded/cur")
    monkeypatch.setattr(localrun, "embedded_redis_start", lambda: "redis://embedded/0")
    env, stops = localrun.resolve_services(prefer_machine=False)
    assert (env["DATABASE_URL"], env["REDIS_URL"]) == (
        "postgres://embedded/cur",
        "redis://embedded/0",
    )
    assert stops == [localrun.embedded_redis_stop, localrun.embedded_postgres_stop][::-1]
