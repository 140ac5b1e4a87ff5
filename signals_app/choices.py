"""The vocabulary every floor shares: channels, statuses, priorities (floor 1).

Stored values are English codes; labels are translatable (Russian in the interface).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from signals_app.channels import CHANNELS

# The channels are the registry's (one package each, signals_app/channels/): their codes and
# names, in the registry's order.
Channel = models.TextChoices(  # type: ignore[misc, call-overload]
    "Channel", [(spec.code.upper(), (spec.code, spec.label)) for spec in CHANNELS]
)
SOCIAL_CHANNELS = frozenset(spec.code for spec in CHANNELS if spec.social)


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_INFO = "awaiting_info", _("Awaiting details")
    REPLY_REVIEW = "reply_review", _("Reply under review")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.IN_PROGRESS, Status.AWAITING_INFO, Status.REPLY_REVIEW}
)
# The work ended: the retention of personal data counts from the last entry into one of these.
FINISHED_STATUSES = frozenset({Status.ANSWERED, Status.CLOSED, Status.REJECTED})
# Routed and not finished: the agency is working on it (or waiting for the citizen or review).
AGENCY_WORK_STATUSES = frozenset({Status.IN_PROGRESS, Status.AWAITING_INFO, Status.REPLY_REVIEW})


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")
