"""The vocabulary every floor shares: channels, statuses, priorities (floor 1).

Stored values are English codes; labels are translatable (Russian in the interface).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    VK = "vk", _("VK")
    OK = "ok", _("Odnoklassniki")
    TELEGRAM = "telegram", _("Telegram")
    POS = "pos", _("Gosuslugi feedback platform (POS)")
    WIDGET = "widget", _("Website widget")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    IMPORT = "import", _("Import")


SOCIAL_CHANNELS = frozenset({Channel.VK, Channel.OK, Channel.TELEGRAM})


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
# Routed and not finished: the agency is working on it (or waiting for the citizen or review).
AGENCY_WORK_STATUSES = frozenset({Status.IN_PROGRESS, Status.AWAITING_INFO, Status.REPLY_REVIEW})


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")
