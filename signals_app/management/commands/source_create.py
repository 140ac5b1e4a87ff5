"""Create an intake source and print its token once."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from agencies.models import Agency, OfficialPage, Region
from signals_app import channels
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
        parser.add_argument(
            "--confirmation", default="",
            help="VK: the confirmation string the Callback API settings show for the server",
        )  # fmt: skip
        parser.add_argument(
            "--official-page", type=int, dest="official_page",
            help="Id of the official page (OfficialPage) the source listens to",
        )  # fmt: skip

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"No region with code {options['region']}.")
        agency = None
        if options["agency"] is not None:
            agency = Agency.objects.filter(pk=options["agency"], region=region).first()
            if agency is None:
                raise CommandError(f"No agency {options['agency']} in region {region.code}.")
        page = None
        if options["official_page"] is not None:
            page = OfficialPage.objects.filter(
                pk=options["official_page"], agency__region=region
            ).first()
            if page is None:
                raise CommandError(
                    f"No official page {options['official_page']} in region {region.code}."
                )
        token = secrets.token_urlsafe(32)
        try:
            source = Source.objects.create(
                region=region, slug=options["slug"], name=options["name"], channel=options["channel"],
                agency=agency, secret=token, confirmation_code=options["confirmation"][:64],
                official_page=page,
            )  # fmt: skip
        except IntegrityError as error:
            raise CommandError(f"A source with slug {options['slug']!r} exists already.") from error
        self.stdout.write(f"source {source.slug} (id {source.pk}) created")
        self.stdout.write(f"token: {token}")
        address = channels.hook_address(source)
        if address:
            self.stdout.write(f"address for the platform: {address}")
        self.stdout.write("Keep the token now: it is not shown again.")
