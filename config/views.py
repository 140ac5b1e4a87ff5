"""Operational endpoints."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

HEARTBEAT_KEY = "celery:heartbeat"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database, Redis and the Celery beat/worker pair are alive."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure means "down" for a health probe
        checks["database"] = "down"
        healthy = False
    try:
        beat = cache.get(HEARTBEAT_KEY)
        checks["redis"] = "ok"
        checks["worker_heartbeat_age_s"] = round(time.time() - beat) if beat else None
    except Exception:
        checks["redis"] = "down"
        healthy = False
    checks["status"] = "ok" if healthy else "degraded"
    return JsonResponse(checks, status=200 if healthy else 503)


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on every page, the admin's included."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """An API client gets the API's JSON shape for an unknown address, a browser the page."""
    if _api(request):
        from django.utils.translation import gettext as _

        return JsonResponse(
            {"code": "not_found", "message": _("No such address in the API."), "errors": {}},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    from django.views import defaults

    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    """Never a stack trace: the API's JSON shape or the plain error page (a 503 when the
    database is what failed, from a middleware's reach as well as a view's)."""
    import sys

    from config.middleware import database_unavailable, is_database_outage

    error = sys.exc_info()[1]
    if error is not None and is_database_outage(error):
        return database_unavailable(request)
    if _api(request):
        from django.utils.translation import gettext as _

        return JsonResponse(
            {
                "code": "server_error",
                "message": _("Something went wrong on the server; it has been logged."),
                "errors": {},
            },
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    from django.views import defaults

    return defaults.server_error(request)
