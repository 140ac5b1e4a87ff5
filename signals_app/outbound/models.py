"""Outbox rows: a reply's delivery to where its author wrote, webhook subscriptions and the
deliveries of their events, and every attempt of either."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinLengthValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Region


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    RETRYING = "retrying", _("Retrying")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("No way back")
    HANDED = "handed", _("Delivered by other means")


# A reply the citizen has not got: what the queue's «доставка не удалась» and the red mark show.
UNDELIVERED = (OutboxState.FAILED, OutboxState.SKIPPED)


def replies_in(replies, states) -> bool:  # type: ignore[no-untyped-def]
    """Whether a published one of these replies (loaded with their delivery) is in `states`."""
    return any(
        getattr(reply, "delivery", None) is not None and reply.delivery.state in states
        for reply in replies
        if reply.state == "published"
    )


class OutboxRow(models.Model):
    """What both outboxes share: the state machine the engine drives."""

    state = models.CharField(
        _("state"), max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # While a worker sends, the row is its own until then; a worker that died leaves it to the
    # sweep once the lease has run out.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        abstract = True


class ReplyDelivery(OutboxRow):
    """A published reply on its way to the citizen's channel (one per reply)."""

    reply = models.OneToOneField(
        "signals_app.Reply", on_delete=models.PROTECT, related_name="delivery",
        verbose_name=_("reply"),
    )  # fmt: skip
    signal = models.ForeignKey(
        "signals_app.Signal", on_delete=models.PROTECT, related_name="deliveries",
        verbose_name=_("signal"),
    )  # fmt: skip
    method = models.CharField(_("method"), max_length=40)
    target = models.JSONField(_("target"), default=dict, blank=True)
    key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    remote_id = models.CharField(_("id at the channel"), max_length=100, blank=True)
    handed_reason = models.TextField(_("how it was delivered otherwise"), blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("marked delivered by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("reply delivery")
        verbose_name_plural = _("reply deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "retrying"]),
                name="reply_delivery_due_idx",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(state="sending"),
                name="reply_delivery_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.state}"


class WebhookEvent(models.TextChoices):
    SIGNAL_CREATED = "signal.created", _("Signal created")
    STATUS_CHANGED = "signal.status_changed", _("Status changed")
    OVERDUE = "signal.overdue", _("Deadline missed")
    REPLY_PUBLISHED = "reply.published", _("Reply published")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """An outside system that wants to hear of events, signed with its own secret."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(
        _("URL"), max_length=1000, validators=[URLValidator(schemes=["http", "https"])]
    )
    secret = models.CharField(
        _("secret"), max_length=200, default=new_secret, validators=[MinLengthValidator(16)],
        help_text=_("The receiver checks the HMAC-SHA256 signature with it (see the README)."),
    )  # fmt: skip
    events = ArrayField(
        models.CharField(max_length=40, choices=WebhookEvent.choices), verbose_name=_("events")
    )
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("region"), help_text=_("Empty: events of every region."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.TextField(_("why disabled"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(OutboxRow):
    """One event for one subscription."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries",
        verbose_name=_("subscription"),
    )  # fmt: skip
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(_("event id"))
    payload = models.JSONField(_("payload"))
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "retrying"]),
                name="webhook_delivery_due_idx",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(state="sending"),
                name="webhook_delivery_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """One try of a reply delivery or a webhook delivery, with what came back."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        DELIVERED = "delivered", _("Delivered")
        TRANSIENT = "transient", _("Temporary error")
        PERMANENT = "permanent", _("Permanent error")
        INTERRUPTED = "interrupted", _("Interrupted")

    reply_delivery = models.ForeignKey(
        ReplyDelivery, on_delete=models.CASCADE, null=True, blank=True, related_name="attempt_log",
        verbose_name=_("reply delivery"),
    )  # fmt: skip
    webhook_delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, null=True, blank=True,
        related_name="attempt_log", verbose_name=_("webhook delivery"),
    )  # fmt: skip
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.IN_FLIGHT
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reply_delivery__isnull=False, webhook_delivery__isnull=True)
                | Q(reply_delivery__isnull=True, webhook_delivery__isnull=False),
                name="attempt_of_one_delivery",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"
