"""The Celery app: queues, routing and the one beat schedule of the project."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cur")
app.config_from_object("django.conf:settings", namespace="CELERY")

_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

QUEUES = ("ingest", "sla", "reports", "outbound", "default")

app.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL", _REDIS_URL),
    result_backend=os.environ.get("CELERY_RESULT_BACKEND", _REDIS_URL),
    task_always_eager=os.environ.get("CELERY_TASK_ALWAYS_EAGER", "").lower()
    in ("1", "true", "yes", "on"),
    task_queues=[Queue(name) for name in QUEUES],
    task_default_queue="default",
    # Tasks are routed by the first part of their explicit name: "ingest.process_message" → ingest.
    task_routes={
        "ingest.*": {"queue": "ingest"},
        "sla.*": {"queue": "sla"},
        "reports.*": {"queue": "reports"},
        "outbound.*": {"queue": "outbound"},
    },
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    timezone="UTC",
    enable_utc=True,
    broker_connection_retry_on_startup=True,
    # Publishing to a broker that is away gives up within about two seconds (the change that
    # queued the task is committed already; the sweeps do the work later).
    task_publish_retry_policy={
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    },
    broker_transport_options={"socket_connect_timeout": 2},
    # The only beat schedule of the project: every periodic task is declared here, each with
    # an `expires` shorter than its period so a backlog never piles up duplicate runs.
    beat_schedule={
        "ingest-sweep-pending": {
            "task": "ingest.sweep_pending",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        "sla-sweep": {
            "task": "sla.sweep",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        # Questions to citizens that waited in vain: closed as «уточнение не получено».
        "sla-details-sweep": {
            "task": "sla.details_sweep",
            "schedule": 300.0,
            "options": {"expires": 240},
        },
        # The co-executors' parts past their deadline.
        "sla-parts-sweep": {
            "task": "sla.parts_sweep",
            "schedule": 900.0,
            "options": {"expires": 800},
        },
        # The voting campaigns' calendar (opening and closing in each municipality's zone).
        "votes-phases": {
            "task": "default.votes_phases",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        # Early warning: the detector over every region's counts, and the morning letter.
        "analytics-alerts": {
            "task": "default.alerts_detect",
            "schedule": 900.0,
            "options": {"expires": 800},
        },
        "analytics-alerts-digest": {
            "task": "default.alerts_digest",
            "schedule": 900.0,
            "options": {"expires": 800},
        },
        # The outside bodies' answers past their deadline.
        "sla-forwards-sweep": {
            "task": "sla.forwards_sweep",
            "schedule": 900.0,
            "options": {"expires": 800},
        },
        # Digests of whatever notifications are due and unsent (arrivals, escalations, and
        # any whose queued run was lost with the broker).
        "notifications-digest": {
            "task": "default.notification_digest",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        # The widget authors' news of their appeals (each change of the status page).
        "citizen-news": {
            "task": "default.citizen_news",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        # Nightly (00:40 Moscow time, 02:40 in Chelyabinsk): the retention of personal data.
        "privacy-retention": {
            "task": "default.retention_apply",
            "schedule": crontab(hour="21", minute="40"),
            "options": {"expires": 6 * 3600},
        },
        # The channels that are read rather than called: the IMAP mailboxes of e-mail sources.
        "ingest-channels-poll": {
            "task": "ingest.channels_poll",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
        "ingest-mass-incidents": {
            "task": "ingest.propose_mass_incidents",
            "schedule": 300.0,
            "options": {"expires": 240},
        },
        # Monthly, at night: a new classifier per region (on the default queue, so the long
        # training never holds up the ingest queue).
        "classifier-train": {
            "task": "default.train_classifiers",
            "schedule": crontab(day_of_month="1", hour="21", minute="30"),
            "options": {"expires": 6 * 3600},
        },
        # Hourly: every region whose local time is now 06:00–06:59 on the 1st gets last month's
        # report (regions span UTC+2 to UTC+12, so one crontab in UTC cannot say it).
        "reports-monthly": {
            "task": "reports.schedule_monthly",
            "schedule": crontab(minute="5"),
            "options": {"expires": 3000},
        },
        "reports-sweep-queued": {
            "task": "reports.sweep_queued",
            "schedule": 300.0,
            "options": {"expires": 240},
        },
        # Due retries and deliveries whose worker died; the first attempt goes on commit.
        "outbound-sweep": {
            "task": "outbound.sweep",
            "schedule": 30.0,
            "options": {"expires": 25},
        },
        "core-heartbeat": {
            "task": "default.heartbeat",
            "schedule": 60.0,
            "options": {"expires": 50},
        },
    },
)
app.conf.include = ["config.tasks"]
app.autodiscover_tasks()
