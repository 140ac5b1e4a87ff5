"""Who is calling the API: the browser's session, or a personal token (`Authorization: Bearer
cur_…`); and how often they may call (a rate per token, per user for sessions)."""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from agencies.models import ApiToken, User
from agencies.services import api_token_check

logger = logging.getLogger(__name__)


class PersonalTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer cur_<prefix>_<secret>`: a token the user made on /api/tokens/."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).decode("latin-1")
        scheme, _space, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None  # not ours: the session (or nothing) decides
        token = api_token_check(value.strip()) if value.strip() else None
        if token is None:
            raise AuthenticationFailed(_("The token is unknown, expired or revoked."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "signals_app.api.auth.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token made on /api/tokens/ (shown once, expires).",
        }


class PerTokenThrottle(SimpleRateThrottle):
    """One budget per token (each integration has its own), per user for browser sessions."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read on each request (DRF reads it once at import), so a changed setting applies.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: object) -> bool:
        """The budget lives in the cache (Redis); with the cache away the request goes
        through, logged: an integration is not stopped by our outage."""
        try:
            return super().allow_request(request, view)  # type: ignore[arg-type]
        except Exception as error:  # the cache is down, not the API
            logger.warning("api_throttle_unavailable error=%s", type(error).__name__)
            return True

    def get_cache_key(self, request: Request, view: object) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
