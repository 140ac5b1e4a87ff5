"""Apply the regions' retention policies of personal data now, or say what they would remove."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agencies.models import Region
from signals_app.privacy import BATCH, RUN_BUDGET_SECONDS, retention_apply


class Command(BaseCommand):
    help = (
        "Remove the personal data the regions' retention policies no longer allow to keep, in "
        "batches (the nightly task does the same). --dry-run only counts. A policy that is not "
        "switched on is only counted."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--region", help="Region code, e.g. 74 (default: every region)")
        parser.add_argument("--dry-run", action="store_true", help="Count, remove nothing")
        parser.add_argument("--batch", type=int, default=BATCH, help="Signals per transaction")
        parser.add_argument(
            "--budget", type=float, default=RUN_BUDGET_SECONDS, help="Stop after this many seconds"
        )
        parser.add_argument(
            "--as-of", help="Apply (or with --dry-run, count) as on this date, e.g. 2031-06-15"
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"No region with code {options['region']}.")
        if options["batch"] < 1:
            raise CommandError("The batch is at least one signal.")
        now = None
        if options["as_of"]:
            try:
                now = datetime.fromisoformat(options["as_of"])
            except ValueError as error:
                raise CommandError(f"Not a date: {options['as_of']}.") from error
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        runs = retention_apply(region=region, dry_run=options["dry_run"], now=now,
                               batch=options["batch"], budget=options["budget"])  # fmt: skip
        if not runs:
            self.stdout.write("No retention policy is set.")
        for run in runs:
            rule = run.rule
            head = f"{rule.region.code} {rule.label} (before {rule.cutoff:%Y-%m-%d})"
            if not run.counted:
                self.stdout.write(
                    f"{head}: removed {run.done} in {run.batches} batches, the longest "
                    f"{run.longest * 1000:.0f} ms"
                )
            else:
                sample = ", ".join(run.sample)
                self.stdout.write(
                    f"{head}: would remove {run.found}" + (f" ({sample}…)" if sample else "")
                )
