"""File imports: an uploaded export becomes inbox messages, chunk by chunk, with a report.

Every row goes the way of a batch API item: the same validation, the inbox, the same
processing. Each chunk's messages and the job's counters commit together, so a worker that dies
mid-file resumes after the last committed chunk: no row is counted or stored twice, and a
re-import of the same file finds every row already in the inbox.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.files.base import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import dispatch
from signals_app.ingest.files import FileFormatError, Row, read_file
from signals_app.ingest.items import ItemChecker
from signals_app.ingest.services import inbound_store_many
from signals_app.models import ImportJob, Source
from signals_app.spreadsheets import csv_row

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 50 * 1024 * 1024
CHUNK = 500
MAX_REJECTED_KEPT = 10_000
_LOCK_NAMESPACE = 0x1A70  # pg advisory lock class of import jobs


def import_create(*, source: Source, upload: File, file_name: str, actor: User | None) -> ImportJob:
    """Keep the uploaded file and queue its import after commit."""
    job = ImportJob(source=source, uploaded_by=actor, file_name=file_name[:300])
    job.file.save(file_name[-100:], upload, save=False)
    job.save()
    transaction.on_commit(lambda: import_queue(job_id=job.pk))
    logger.info("import_created job_id=%s source=%s", job.pk, source.slug)
    return job


def import_queue(*, job_id: int) -> None:
    """Queue the job's import; with the broker down, the inbox sweep starts queued jobs."""
    dispatch.send("ingest.import_file", job_id)


def import_run(*, job_id: int) -> ImportJob | None:
    """Read the job's file into the inbox; resume where a dead worker stopped; run once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, job_id])
        (locked,) = cursor.fetchone()
    if not locked:
        return None  # another worker is reading this file right now
    try:
        job = ImportJob.objects.select_related("source", "source__region").filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job
        _run(job)
        return job
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, job_id])


def _run(job: ImportJob) -> None:
    try:
        with job.file.open("rb") as stream:
            total, rows = read_file(
                stream,
                mapping=job.source.column_mapping or None,
                time_zone=job.source.region.time_zone,
            )
            job.state = ImportJob.State.RUNNING
            job.total_rows = total
            job.save(update_fields=["state", "total_rows"])
            skip = job.processed_rows  # committed by an earlier, interrupted run
            chunk: list[Row] = []
            for index, row in enumerate(rows):
                if index < skip:
                    continue
                chunk.append(row)
                if len(chunk) == CHUNK:
                    _store_chunk(job, chunk)
                    chunk = []
            if chunk:
                _store_chunk(job, chunk)
    except (FileFormatError, OSError) as error:
        job.state = ImportJob.State.FAILED
        job.error = str(error)[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "finished_at"])
        logger.warning("import_failed job_id=%s error=%s", job.pk, type(error).__name__)
        return
    job.state = ImportJob.State.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "finished_at"])
    logger.info(
        "import_done job_id=%s imported=%s duplicates=%s rejected=%s",
        job.pk,
        job.imported,
        job.duplicates,
        job.rejected,
    )


def _reason(errors: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(errors, dict):
        for name, value in errors.items():
            label = f"{prefix}.{name}" if prefix else str(name)
            yield from _reason(value, "" if name in ("non_field_errors", "item") else label)
    elif isinstance(errors, list):
        for value in errors:
            yield from _reason(value, prefix)
    else:
        yield f"{prefix}: {errors}" if prefix else str(errors)


def _store_chunk(job: ImportJob, chunk: list[Row]) -> None:
    rejected: list[dict[str, Any]] = []
    valid: list[tuple[str, dict[str, Any]]] = []
    item_check = ItemChecker()
    for row in chunk:
        if row.error:
            rejected.append({"line": row.line, "reason": row.error})
            continue
        key, errors = item_check(row.item)
        if errors:
            rejected.append({"line": row.line, "reason": "; ".join(_reason(errors))})
        else:
            valid.append((key, row.item))
    with transaction.atomic():
        stored = inbound_store_many(source=job.source, items=valid)
        seen: set[str] = set()
        for key, _item in valid:
            if stored[key][1] and key not in seen:
                job.imported += 1
            else:
                job.duplicates += 1
            seen.add(key)
        job.rejected += len(rejected)
        room = MAX_REJECTED_KEPT - len(job.rejected_rows)
        job.rejected_rows = [*job.rejected_rows, *rejected[: max(room, 0)]]
        job.processed_rows += len(chunk)
        job.save(
            update_fields=[
                "imported",
                "duplicates",
                "rejected",
                "rejected_rows",
                "processed_rows",
            ]
        )


def import_report_csv(job: ImportJob) -> str:
    """The downloadable report: the totals, then every rejected row with its reason."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(csv_row([_("File"), job.file_name]))
    writer.writerow([_("Source"), job.source.name])
    writer.writerow([_("Rows"), job.total_rows])
    writer.writerow([_("Imported"), job.imported])
    writer.writerow([_("Duplicates"), job.duplicates])
    writer.writerow([_("Rows rejected"), job.rejected])
    if job.error:
        writer.writerow([_("Error"), job.error])
    writer.writerow([])
    writer.writerow([_("Line"), _("Reason")])
    for row in job.rejected_rows:
        writer.writerow(csv_row([row["line"], row["reason"]]))
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read it as UTF-8


def import_sweep_queued(*, older_than_seconds: int = 60) -> int:
    """Queue jobs whose task never reached a worker (the broker was down at upload) or whose
    worker died; a job being read right now holds its lock and is left alone."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        ImportJob.objects.filter(
            state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING], created_at__lte=cutoff
        ).values_list("pk", flat=True)[:20]
    )
    for job_id in ids:
        import_queue(job_id=job_id)
    return len(ids)
