"""Install the default SLA policies of DESIGN.md §5 for a region."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Region
from signals_app.sla.defaults import sla_defaults_install


class Command(BaseCommand):
    help = "Create the default SLA policies (social networks, POS and widget, 59-FZ) for a region."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--region", required=True, help="Region code, e.g. 74")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"No region with code {options['region']}.")
        for policy in sla_defaults_install(region=region):
            self.stdout.write(f"{policy.name}: version {policy.version}")
