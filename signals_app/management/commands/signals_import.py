"""Import a platform export (CSV or XLSX) through the inbox and print the report."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from signals_app.ingest.imports import MAX_IMPORT_BYTES, import_create, import_run
from signals_app.ingest.process import inbound_process
from signals_app.models import ImportJob, InboundMessage, Source


class Command(BaseCommand):
    help = (
        "Import a CSV (UTF-8, UTF-8 with BOM or cp1251; ';' or ',') or XLSX export into the "
        "inbox of a source. Rows already imported are reported as duplicates."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="Path of the CSV or XLSX file")
        parser.add_argument("--source", required=True, help="Slug of the source")
        parser.add_argument(
            "--process",
            action="store_true",
            help="Also turn the new messages into signals here instead of leaving them to workers",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        source = Source.objects.filter(slug=options["source"], is_active=True).first()
        if source is None:
            raise CommandError(f"No active source with slug {options['source']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise CommandError("The file is larger than 50 MB; split it.")
        with path.open("rb") as stream:
            job = import_create(source=source, upload=File(stream), file_name=path.name, actor=None)
        import_run(job_id=job.pk)
        job.refresh_from_db()
        if job.state == ImportJob.State.FAILED:
            raise CommandError(f"The file cannot be read: {job.error}")
        self.stdout.write(
            f"rows {job.total_rows}: imported {job.imported}, duplicates {job.duplicates}, "
            f"rejected {job.rejected}"
        )
        for row in job.rejected_rows:
            self.stdout.write(f"  line {row['line']}: {row['reason']}")
        if job.rejected > len(job.rejected_rows):
            self.stdout.write(f"  … and {job.rejected - len(job.rejected_rows)} more")
        if options["process"]:
            pending = InboundMessage.objects.filter(
                source=source, state=InboundMessage.State.PENDING
            ).values_list("pk", flat=True)
            done = sum(1 for pk in pending.iterator() if inbound_process(message_id=pk))
            self.stdout.write(f"signals created or updated: {done}")
