"""Domain errors of the workflow. Each carries a message fit to show to the user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class WorkflowError(Exception):
    """Base class: the action was refused and nothing was written."""

    default_message = _("The action is not possible.")

    def __init__(self, message: str | None = None) -> None:
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class InvalidTransition(WorkflowError):
    default_message = _("This status change is not allowed.")


class ActionForbidden(WorkflowError):
    default_message = _("You are not allowed to do this.")


class ConflictError(WorkflowError):
    default_message = _(
        "Someone else has changed this signal in the meantime. Reload it and try again."
    )


class InvalidInput(WorkflowError):
    default_message = _("The data given is not valid.")
