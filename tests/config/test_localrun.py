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


def test_a_child_that_dies_is_started_again_and_the_others_keep_running(tmp_path):
    import sys
    import time

    from config.localrun import Supervisor

    marker = tmp_path / "starts"
    dying = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"]  # exits at once
    steady = [sys.executable, "-c", "import time; time.sleep(60)"]
    supervisor = Supervisor({"worker": dying, "web": steady}, env={})
    supervisor.start_all()
    steady_pid = supervisor.children["web"].pid
    try:
        deadline = time.monotonic() + 10
        while supervisor.restarts["worker"] < 2 and time.monotonic() < deadline:
            supervisor.check()
            time.sleep(0.1)
        assert supervisor.restarts["worker"] >= 2  # 1 s, then 2 s: it keeps coming back
        assert supervisor.delay["worker"] >= 2  # backing off while it dies young
        assert supervisor.children["web"].poll() is None
        assert supervisor.children["web"].pid == steady_pid  # untouched
        supervisor.children["worker"].wait(timeout=10)  # the third start has written its mark
        assert marker.read_text().count("x") >= 3
    finally:
        supervisor.stop()
    assert supervisor.children["web"].poll() is not None


def test_make_run_starts_pages_intakes_worker_and_beat():
    from config.localrun import INTAKE_ADDRESS, WEB_ADDRESS, process_commands

    commands = process_commands()
    assert set(commands) == {"web", "intake", "worker", "beat"}
    assert WEB_ADDRESS in commands["web"] and INTAKE_ADDRESS in commands["intake"]
    assert "SERVE_ONLY=intake" in commands["intake"]
    assert {"--without-gossip", "--without-mingle"} <= set(commands["worker"])


def test_the_intake_server_answers_only_the_intakes(settings, region):
    from django.test import Client

    from tests.factories import SourceFactory

    SourceFactory(region=region, slug="vk-city", channel="vk", secret="s")
    settings.SERVE_ONLY = "intake"
    client = Client()
    assert client.get("/signals/").status_code == 404
    assert client.get("/admin/").status_code == 404
    assert client.get("/healthz/").status_code in (200, 503)
    hook = client.post("/hooks/vk/vk-city/", "{}", content_type="application/json")
    assert (hook.status_code, hook.content) == (403, b"wrong secret")  # the intake answered
    assert client.get("/open311/v2/services.json").status_code in (200, 404)
    assert b"intake server" not in client.get("/open311/v2/services.json").content
