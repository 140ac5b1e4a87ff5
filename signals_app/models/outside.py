"""Organisations that do not work in the system (a federal body, a management company) and the
signals forwarded to them by e-mail, each forward with its own deadline (59-FZ: 7 days)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Region
from signals_app.models.signal import Signal


class OutsideBody(models.Model):
    """An organisation outside the system that signals can be forwarded to."""

    class Kind(models.TextChoices):
        FEDERAL = "federal", _("Federal body")
        REGIONAL = "regional", _("Regional body")
        LOCAL = "local", _("Local government")
        MANAGEMENT = "management", _("Management company")
        UTILITY = "utility", _("Resource supplier")
        OTHER = "other", _("Other organisation")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="outside_bodies", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    email = models.EmailField(_("e-mail for forwarded signals"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("outside body")
        verbose_name_plural = _("outside bodies")
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="outside_body_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


def _token() -> str:
    return secrets.token_hex(8)


class Forward(models.Model):
    """A signal forwarded to an outside body: the letter (a reply of the kind «forward», sent
    through the outbox), the tracking address its answer comes back to, and its deadline."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for the answer")
        ANSWERED = "answered", _("Answered")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="forwards", verbose_name=_("signal")
    )
    body = models.ForeignKey(
        OutsideBody, on_delete=models.PROTECT, related_name="forwards",
        verbose_name=_("outside body"),
    )  # fmt: skip
    letter = models.OneToOneField(
        "signals_app.Reply", on_delete=models.PROTECT, related_name="forward",
        verbose_name=_("letter"),
    )  # fmt: skip
    token = models.CharField(_("tracking key"), max_length=32, unique=True, default=_token)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.WAITING
    )
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("forwarded by"),
    )  # fmt: skip
    forwarded_at = models.DateTimeField(_("forwarded at"))
    due_at = models.DateTimeField(_("answer due"))
    overdue_told_at = models.DateTimeField(_("lateness told at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("forward")
        verbose_name_plural = _("forwards")
        ordering = ["signal", "forwarded_at"]
        constraints = [
            # One open forward per signal and body: a second letter waits for the first answer.
            models.UniqueConstraint(
                fields=["signal", "body"], condition=Q(state="waiting"),
                name="forward_one_waiting_per_body",
            ),
            models.CheckConstraint(
                condition=~Q(state="answered") | Q(answered_at__isnull=False),
                name="forward_answered_has_time",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(
                fields=["due_at"], name="forward_waiting_due_idx",
                condition=Q(state="waiting", overdue_told_at__isnull=True),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.signal_id} → {self.body_id}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.state == self.State.WAITING and self.due_at < timezone.now()
