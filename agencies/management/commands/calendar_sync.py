"""Fill a region's working calendars from the Russian production calendar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Region, WorkCalendar
from agencies.services import calendar_default_for_region, calendar_sync, working_days_count


class Command(BaseCommand):
    help = "Fill a region's calendars with public holidays, transfers and short days for a year."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--region", required=True, help="Region code, e.g. 74")
        parser.add_argument("--year", type=int, required=True, action="append")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"No region with code {options['region']}.")
        calendar_default_for_region(region=region)
        for year in options["year"]:
            if not 2000 <= year <= 2100:
                raise CommandError(f"Year {year} is out of range.")
            for calendar in WorkCalendar.objects.filter(region=region):
                result = calendar_sync(calendar=calendar, year=year)
                days = working_days_count(calendar=calendar, year=year)
                self.stdout.write(
                    f"{calendar.name} {year}: created {result.created}, updated {result.updated}, "
                    f"removed {result.deleted}, kept manual {result.kept_manual}; "
                    f"working days {days}"
                )
