"""Celery tasks of the inbox: thin, take ids, idempotent."""

from __future__ import annotations

from celery import shared_task

from signals_app.ingest.process import inbound_drain, inbound_process_batch, inbound_sweep_pending


@shared_task(name="ingest.process_messages", acks_late=True, ignore_result=True)
def process_messages(message_ids: list[int]) -> None:
    """Process stored messages in batches (topped up with other pending ones); each is locked
    and re-checked (only pending ones are taken), so a redelivery is harmless."""
    inbound_process_batch(message_ids=message_ids, fill=True)


@shared_task(name="ingest.process_pending", acks_late=True, ignore_result=True)
def process_pending() -> None:
    """Drain the pending messages (queued at most once at a time by inbound_wake)."""
    inbound_drain()


@shared_task(name="ingest.sweep_pending", acks_late=True, ignore_result=True)
def sweep_pending(older_than_seconds: int = 60) -> None:
    """Process what no worker took within a minute (the broker was down, a worker died)."""
    from datetime import timedelta

    from signals_app.ingest.imports import import_sweep_queued

    inbound_sweep_pending(older_than=timedelta(seconds=older_than_seconds), limit=100_000)
    import_sweep_queued(older_than_seconds=older_than_seconds)


@shared_task(name="ingest.import_file", acks_late=True, ignore_result=True)
def import_file(job_id: int) -> None:
    """Read an uploaded export into the inbox; resumable and run by one worker at a time."""
    from signals_app.ingest.imports import import_run

    import_run(job_id=job_id)


@shared_task(name="default.train_classifiers", ignore_result=True)
def train_classifiers() -> None:
    """Monthly: a new classifier version per region from the month's classified signals."""
    from agencies.models import Region
    from signals_app.ingest.classifier import classifier_train

    for region in Region.objects.all():
        classifier_train(region=region)


@shared_task(name="ingest.propose_mass_incidents", ignore_result=True)
def propose_mass_incidents() -> None:
    """Every few minutes: clusters of similar recent signals, proposed to the analysts."""
    from agencies.models import Region
    from signals_app.ingest.mass import mass_incident_propose

    for region in Region.objects.all():
        mass_incident_propose(region=region)


@shared_task(name="ingest.channels_poll", acks_late=True, ignore_result=True)
def channels_poll() -> int:
    """The channels read by polling (the e-mail sources' IMAP mailboxes), once each."""
    from signals_app import channels

    return channels.poll_all()
