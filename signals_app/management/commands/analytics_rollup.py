"""Recount the analytics' hourly and daily counts from the signals: `analytics_rollup
[--region CODE …]`. The batch write keeps them up to date; this is for a first deployment
on an existing database, or after signals were changed outside the product."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Region
from signals_app.analytics.rollup import counts_rebuild


class Command(BaseCommand):
    help = "Rebuild the hourly and daily signal counts of the analytics from the signals."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--region", action="append", default=[], help="a region's code")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        regions = None
        if options["region"]:
            found = dict(
                Region.objects.filter(code__in=options["region"]).values_list("code", "pk")
            )
            missing = sorted(set(options["region"]) - set(found))
            if missing:
                raise CommandError(f"No region with the code {', '.join(missing)}.")
            regions = list(found.values())
        started = time.monotonic()
        rows = counts_rebuild(regions)
        self.stdout.write(f"Rebuilt {rows} count rows in {time.monotonic() - started:.1f} s.")
