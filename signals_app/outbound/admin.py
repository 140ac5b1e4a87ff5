"""Webhook subscriptions are managed here; deliveries and their attempts are shown, read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from signals_app.admin_base import ReadOnlyAdmin
from signals_app.outbound.models import (
    DeliveryAttempt,
    ReplyDelivery,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from signals_app.outbound.services import webhook_subscription_enable


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label=_("events")
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "events", "region", "is_active"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "started_at",
        "finished_at",
        "outcome",
        "http_status",
        "error_code",
        "detail",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReplyAttemptInline(AttemptInline):
    fk_name = "reply_delivery"


class WebhookAttemptInline(AttemptInline):
    fk_name = "webhook_delivery"


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "region", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active", "region")
    search_fields = ("name", "url")
    readonly_fields = ("consecutive_failures", "disabled_at", "disabled_reason", "created_at")
    actions = ["enable_again"]

    @admin.action(description=_("Enable again (reset the failure count)"))
    def enable_again(self, request, queryset):  # type: ignore[no-untyped-def]
        for subscription in queryset:
            webhook_subscription_enable(subscription=subscription)
        messages.success(request, _("Enabled again."))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subscription", "event", "state", "attempts", "last_status",
                    "next_attempt_at")  # fmt: skip
    list_filter = ("state", "event", "subscription")
    list_select_related = ("subscription",)
    inlines = [WebhookAttemptInline]


@admin.register(ReplyDelivery)
class ReplyDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "signal", "method", "state", "attempts", "next_attempt_at",
                    "delivered_at")  # fmt: skip
    list_filter = ("state", "method")
    list_select_related = ("signal",)
    search_fields = ("signal__number",)
    exclude = ("target",)
    inlines = [ReplyAttemptInline]
