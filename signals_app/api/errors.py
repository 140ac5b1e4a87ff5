"""One JSON shape for every refusal of the API: `{"code", "message", "errors"}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from signals_app.errors import (
    ActionForbidden,
    ConflictError,
    InvalidInput,
    InvalidTransition,
    WorkflowError,
    error_body,
)

WORKFLOW = (
    # (error, HTTP status, code)
    (ConflictError, status.HTTP_409_CONFLICT, "conflict"),
    (InvalidTransition, status.HTTP_409_CONFLICT, "invalid_transition"),
    (ActionForbidden, status.HTTP_403_FORBIDDEN, "forbidden"),
    (InvalidInput, status.HTTP_400_BAD_REQUEST, "invalid"),
)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped; workflow refusals get their own status and code."""
    if isinstance(exc, WorkflowError):
        for kind, http_status, code in WORKFLOW:
            if isinstance(exc, kind):
                return Response(
                    error_body(code, exc, getattr(exc, "errors", None)), status=http_status
                )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", _("Check the data sent."), errors)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, exc.detail)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = int(exc.wait + 0.999)
    return response
