"""Authentication backend that refuses demo accounts in production mode."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    """The model backend, except that demo users cannot log in where demos are not allowed."""

    def user_can_authenticate(self, user) -> bool:  # type: ignore[no-untyped-def]
        if getattr(user, "is_demo", False) and not settings.DEMO_USERS_ALLOWED:
            return False
        return super().user_can_authenticate(user)
