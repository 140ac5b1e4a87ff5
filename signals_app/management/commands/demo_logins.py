"""Print the demo logins, for `make run`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from agencies.models import Membership, Role, User
from signals_app.demo.loader import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo users and their password."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not settings.DEMO_USERS_ALLOWED:
            self.stdout.write("Demo users are refused in production mode.")
            return
        existing = set(User.objects.filter(is_demo=True).values_list("username", flat=True))
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for login, first, last, centre_role, agency, agency_role in DEMO_USERS:
            if login in existing:
                if centre_role:
                    role = str(Role(centre_role).label)
                else:
                    role = f"{Membership.Role(agency_role).label} — {agency}"
                self.stdout.write(f"  {login:<12} {first} {last}: {role}")
