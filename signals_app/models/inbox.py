"""The inbox: every payload that arrived, stored verbatim before anything else happens."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signals_app.models.reference import Source


class InboundMessage(models.Model):
    """Every payload that arrived, stored verbatim before anything else happens."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="inbound_messages", verbose_name=_("source")
    )
    external_id = models.CharField(_("external id"), max_length=200)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_default=Now())
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    signal = models.ForeignKey(
        "Signal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("signal"),
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="inbound_unique_external"
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="inbound_external_id_not_empty"
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inbound_pending_idx",
                condition=Q(state__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}:{self.external_id}"
