"""The Celery app: queues, routing, serializer, beat schedule."""

from __future__ import annotations

from config.celery import app


def test_queues_and_routing():
    assert {q.name for q in app.conf.task_queues} == {
        "ingest",
        "sla",
        "reports",
        "outbound",
        "default",
    }
    router = app.amqp.router
    assert router.route({}, "ingest.process_message")["queue"].name == "ingest"
    assert router.route({}, "sla.sweep")["queue"].name == "sla"
    assert router.route({}, "reports.generate_monthly")["queue"].name == "reports"
    assert router.route({}, "outbound.deliver_reply")["queue"].name == "outbound"
    assert router.route({}, "default.heartbeat")["queue"].name == "default"


def test_reliability_settings():
    assert app.conf.task_acks_late is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_every_periodic_task_expires_before_its_next_run():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        schedule = entry["schedule"]
        # A crontab entry here runs at most daily; an interval entry is in seconds.
        period = schedule if isinstance(schedule, int | float) else 24 * 3600
        assert entry["options"]["expires"] < period, name
        assert entry["task"] in app.tasks, name
