"""Small project-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)

DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# Django's admin sets a few style attributes and opens related objects in popups of its own
# origin; its scripts are files of its own, so scripts stay 'self' there too.
ADMIN_CSP = DOCS_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: no inline scripts, no third-party hosts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/docs/"):
            # Swagger UI sets style attributes from its scripts; scripts stay 'self' only.
            response.setdefault("Content-Security-Policy", DOCS_CSP)
        elif request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", ADMIN_CSP)
        else:
            response.setdefault("Content-Security-Policy", CSP)
        return response


class RussianByDefaultMiddleware:
    """Show Russian unless the user chose another language (cookie or URL).

    Staff browsers are often set to English; the centre works in Russian, so the browser's
    Accept-Language is not a choice. Placed before LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Show times in the user's own time zone when they set one (else the site's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.utils import timezone

        name = getattr(getattr(request, "user", None), "time_zone", "")
        zone = None
        if name:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                zone = None
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ServeOnlyMiddleware:
    """With `SERVE_ONLY=intake` this process answers only the intakes (every channel's webhook,
    form or batch address), their static files and the health check: the intake pool of
    `make run` and production, so the platforms' callbacks never queue behind pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.prefixes: tuple[str, ...] | None = None
        if settings.SERVE_ONLY == "intake":
            from signals_app import channels

            self.prefixes = (
                *{"/" + str(pattern.pattern).split("<", 1)[0]
                  for pattern in channels.intake_urlpatterns()},
                "/" + settings.STATIC_URL.strip("/") + "/",
                "/healthz/",
            )  # fmt: skip

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.prefixes is not None and not request.path.startswith(self.prefixes):
            return HttpResponse(
                "Not served here: this is the intake server.",
                status=404,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


DATABASE_RETRY_AFTER = 30  # seconds: what a platform or a browser is told to wait


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, in the shape the caller reads: the API's JSON, the platforms'
    plain text, a short page for people. Nothing stored, nothing half-done (the transaction
    was rolled back), so a retry is safe."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    message = _("The database is unavailable for a moment. Please try again shortly.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "unavailable", "message": message, "errors": {}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    elif request.path.startswith(("/hooks/", "/open311/")):
        response = HttpResponse(
            "database unavailable", status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        response = HttpResponse(
            f'<!DOCTYPE html><html lang="ru"><meta charset="utf-8"><title>503</title>'
            f"<p>{message}</p></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def is_database_outage(error: BaseException) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(error, (OperationalError, InterfaceError))


class DatabaseUnavailableMiddleware:
    """A lost or frozen PostgreSQL is a 503 with Retry-After and one log line, not a 500 with
    a traceback per request (the connection and statement timeouts of the settings bound how
    long a request waits for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_outage(exception):
            return None
        import logging

        logging.getLogger("config.database").warning(
            "database_unavailable path=%s error=%s",
            request.path,
            str(exception).splitlines()[0][:200] if str(exception) else type(exception).__name__,
        )
        return database_unavailable(request)
