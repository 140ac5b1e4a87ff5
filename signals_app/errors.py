"""Domain errors (floor 1). Each carries a message fit to show to the user; raising one means
the action was refused and nothing was written. Also the one JSON shape a refusal takes over
HTTP (`error_body`, documented by `ErrorSerializer`)."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class WorkflowError(Exception):
    """Base class: the action was refused and nothing was written."""

    default_message = _("The action is not possible.")

    def __init__(self, message: str | Promise | None = None) -> None:
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class InvalidTransition(WorkflowError):
    """The signal's status does not allow it (now)."""

    default_message = _("This status change is not allowed.")


class ActionForbidden(WorkflowError):
    """The user's role does not allow it on this signal."""

    default_message = _("You are not allowed to do this.")


class ConflictError(WorkflowError):
    """The signal changed since the user saw it."""

    default_message = _(
        "Someone else has changed this signal in the meantime. Reload it and try again."
    )


class InvalidInput(WorkflowError):
    """The data given cannot be used; `errors` names the fields when it can."""

    default_message = _("The data given is not valid.")

    def __init__(self, message: str | Promise | None = None, errors: dict | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


# --- the one JSON shape of a refusal over HTTP (the REST API and the intakes) ----------------


def error_body(code: str, message: Any, errors: Any = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "errors": errors or {}}


class ErrorSerializer(serializers.Serializer):
    """Every 4xx of the API."""

    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(), help_text=_("Messages per field, if any.")
    )
