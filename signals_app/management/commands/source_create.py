"""Create an intake source and print its token once."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from agencies.models import Agency, Region
from signals_app.choices import Channel
from signals_app.models import Source


class Command(BaseCommand):
    help = "Create a source (an intake) and print its secret token; it is not shown again."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--channel", required=True, choices=Channel.values)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--region", default="74", help="Region code (default 74)")
        parser.add_argument("--agency", type=int, help="Agency id the source belongs to")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"No region with code {options['region']}.")
        agency = None
        if options["agency"] is not None:
            agency = Agency.objects.filter(pk=options["agency"], region=region).first()
            if agency is None:
                raise CommandError(f"No agency {options['agency']} in region {region.code}.")
        token = secrets.token_urlsafe(32)
        try:
            source = Source.objects.create(
                region=region, slug=options["slug"], name=options["name"], channel=options["channel"],
                agency=agency, secret=token,
            )  # fmt: skip
        except IntegrityError as error:
            raise CommandError(f"A source with slug {options['slug']!r} exists already.") from error
        self.stdout.write(f"source {source.slug} (id {source.pk}) created")
        self.stdout.write(f"token: {token}")
        self.stdout.write("Keep the token now: it is not shown again.")
