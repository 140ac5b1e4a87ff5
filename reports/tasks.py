"""Celery tasks of the reports app: thin, take ids."""

from __future__ import annotations

from celery import shared_task

from reports.queue_exports import export_run
from reports.services import report_generate, reports_schedule_due, reports_sweep_queued


@shared_task(name="reports.generate", acks_late=True, ignore_result=True)
def generate(report_id: int) -> None:
    """Compute a requested report's figures (a finished one is left as it is)."""
    report_generate(report_id=report_id)


@shared_task(name="reports.schedule_monthly", ignore_result=True)
def schedule_monthly() -> None:
    """Hourly: last month's report for each region where it is now 06:xx on the 1st."""
    reports_schedule_due()


@shared_task(name="reports.export", acks_late=True, ignore_result=True)
def run_export(export_id: int) -> None:
    """Write a requested queue export (a finished one is left as it is)."""
    export_run(export_id=export_id)


@shared_task(name="reports.sweep_queued", ignore_result=True)
def sweep_queued(older_than_seconds: int = 120) -> None:
    """Queue again the reports and exports no worker took (the broker was down, a worker died)."""
    reports_sweep_queued(older_than_seconds=older_than_seconds)
