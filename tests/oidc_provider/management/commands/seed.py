"""The test's client application and residents: `seed <client_id> <secret> <redirect_uri>
<username>:<password>:<birthdate>:<oktmo> …`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application

from tests.oidc_provider.models import Resident


class Command(BaseCommand):
    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("client_id")
        parser.add_argument("secret")
        parser.add_argument("redirect_uri")
        parser.add_argument("residents", nargs="*")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        Application.objects.create(
            name="ЦУР", client_id=options["client_id"], client_secret=options["secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=options["redirect_uri"], algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )  # fmt: skip
        for entry in options["residents"]:
            username, password, birthdate, oktmo = entry.split(":")
            user = get_user_model().objects.create_user(username=username, password=password)
            Resident.objects.create(user=user, birthdate=birthdate, oktmo=oktmo)
