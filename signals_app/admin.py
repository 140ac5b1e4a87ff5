"""Signals and their reference data in the Django admin.

Status and workflow fields are read-only here: they change only through the workflow services.
"""

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from signals_app import admin_privacy, channels, dispatch
from signals_app.admin_base import DurationUnitField, ReadOnlyAdmin, WordedAdmin
from signals_app.choices import OPEN_STATUSES, Channel, Priority, Status
from signals_app.ingest.services import inbound_reprocess
from signals_app.models import (
    Alert,
    Attachment,
    Category,
    ClassificationRule,
    Escalation,
    EscalationStep,
    Forward,
    ImportJob,
    InboundMessage,
    Mailbox,
    MassIncidentProposal,
    Note,
    Notification,
    OkGroup,
    OutsideBody,
    Reply,
    RoutingRule,
    Signal,
    SignalEvent,
    SLAPolicy,
    SLAPolicyVersion,
    Source,
    TextClassifier,
)
from signals_app.sla.policies import sla_policy_publish

# The personal data pages register themselves with the admin.
__all__ = ["admin_privacy"]


@admin.register(OutsideBody)
class OutsideBodyAdmin(WordedAdmin):
    """Organisations outside the system that signals are forwarded to by e-mail."""

    add_label = _("Add an outside body")
    change_label = _("Change the outside body")
    change_list_title = _("Choose an outside body to change")
    count_label = ngettext_lazy("%(count)d outside body", "%(count)d outside bodies", "count")
    list_display = ("name", "kind", "email", "region", "is_active")
    list_filter = ("region", "kind", "is_active")
    search_fields = ("name", "email")


@admin.register(Forward)
class ForwardAdmin(ReadOnlyAdmin):
    """Forwarded signals and their answers (they change through the workflow only)."""

    list_display = ("signal", "body", "forwarded_at", "due_at", "state", "answered_at")
    list_filter = ("state", "body__region")
    list_select_related = ("signal", "body")
    search_fields = ("signal__number", "body__name")
    readonly_fields = ("signal", "body", "letter", "token", "state", "forwarded_by",
                       "forwarded_at", "due_at", "overdue_told_at", "answered_at", "answer")  # fmt: skip


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "level", "default_priority", "order", "is_active", "region")
    list_filter = ("region", "level", "is_active", "default_priority")
    search_fields = ("name", "code")
    list_select_related = ("parent", "region")
    autocomplete_fields = ("parent",)


def hidden_field(label: Any, help_text: Any = None, *, strip: bool = True) -> forms.CharField:
    """A secret's field: never shown again once saved (see `KeepsSecrets`)."""
    return forms.CharField(
        label=label, required=False, strip=strip,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text or _("Set: hidden. Empty keeps it; type a new one to replace it."),
    )  # fmt: skip


class KeepsSecrets(forms.ModelForm):
    """A form whose secret fields (`kept`) are never shown: left empty, the saved value stays."""

    kept: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name in self.kept:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


class SourceForm(KeepsSecrets):
    """The secret and the token are never shown again once saved: an empty field keeps them,
    «rotate» makes a new secret (shown once, in the message after saving)."""

    kept = ("secret", "reply_token")
    secret = hidden_field(_("secret or token"))
    reply_token = hidden_field(
        _("token for answers"),
        _("VK: the community's access token; Telegram: the bot's token. Empty keeps it."),
    )
    rotate_secret = forms.BooleanField(
        label=_("Make a new secret"), required=False,
        help_text=_("The new secret is shown once after saving; paste it into the platform."),
    )  # fmt: skip

    class Meta:
        model = Source
        fields = [field.name for field in Source._meta.fields if field.editable]


class MailboxForm(KeepsSecrets):
    """The mailbox's password is never shown again once saved: an empty field keeps it."""

    kept = ("password",)
    password = hidden_field(_("password"), strip=False)

    class Meta:
        model = Mailbox
        fields = ["host", "port", "security", "username", "password", "folder", "done_folder",
                  "address", "is_active"]  # fmt: skip


class MailboxInline(admin.StackedInline):
    """An e-mail source's IMAP mailbox: read every minute, answered from its address."""

    model = Mailbox
    form = MailboxForm
    extra = 1
    max_num = 1
    can_delete = True
    readonly_fields = ("polled_at", "last_error")


class OkGroupForm(KeepsSecrets):
    """The application's secret and the administrator's token are never shown once saved."""

    kept = ("application_secret", "access_token")
    application_secret = hidden_field(_("application's secret key"))
    access_token = hidden_field(
        _("administrator's access token"),
        _("A group administrator's token with the GROUP_CONTENT and VALUABLE_ACCESS rights. "
          "Empty keeps it."),
    )  # fmt: skip

    class Meta:
        model = OkGroup
        fields = ["group_id", "application_key", "application_secret", "access_token", "days",
                  "is_active"]  # fmt: skip


class OkGroupInline(admin.StackedInline):
    """An OK source's group: the comments under its posts are read, and answered as it."""

    model = OkGroup
    form = OkGroupForm
    extra = 1
    max_num = 1
    can_delete = True
    readonly_fields = ("connected_at", "polled_at", "last_error")


@admin.register(Source)
class SourceAdmin(WordedAdmin):
    form = SourceForm

    def get_inlines(self, request, obj):  # type: ignore[no-untyped-def]
        inlines = {"email": [MailboxInline], "ok": [OkGroupInline]}
        return inlines.get(obj.channel, []) if obj is not None else []

    readonly_fields = ("connection",)
    add_label = _("Add a source")
    change_label = _("Change the source")
    change_list_title = _("Choose a source to change")
    count_label = ngettext_lazy("%(count)d source", "%(count)d sources", "count")
    list_display = ("name", "slug", "channel", "agency", "official_page", "is_active")
    list_filter = ("channel", "is_active", "region")
    search_fields = ("name", "slug")
    list_select_related = ("agency", "official_page")
    autocomplete_fields = ("agency", "official_page")

    @admin.display(description=_("What to paste into the platform"))
    def connection(self, source: Source) -> str:
        """The callback address and, for VK, the confirmation string (never the secret)."""
        from django.utils.html import format_html

        address = channels.hook_address(source) if source.pk else ""
        if source.pk and source.channel == "email":
            return str(_("Nothing: fill in the mailbox below; it is read every minute, and "
                         "answers leave from its address."))  # fmt: skip
        if not address:
            return str(_("Save the source first; channels without a webhook need nothing here."))
        if source.channel == "ok":
            return format_html(
                "{}: <code>{}</code><br>{}", _("Address"), address,
                _("For the comments under the group's posts, fill in the group below."),
            )  # fmt: skip
        confirmation = ""
        if source.channel == "vk":
            confirmation = format_html(
                "<br>{}: <code>{}</code>", _("Confirmation string"),
                source.confirmation_code or _("not set"),
            )  # fmt: skip
        return format_html("{}: <code>{}</code>{}", _("Address"), address, confirmation)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        fresh = ""
        if form.cleaned_data.get("rotate_secret") or not obj.secret:
            fresh = obj.secret = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)
        if fresh:
            self.message_user(request, _(
                "The new secret of «%(name)s», shown only now: %(secret)s"
            ) % {"name": obj.name, "secret": fresh}, level=messages.WARNING)  # fmt: skip


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "file_name", "source", "state", "imported", "duplicates", "rejected", "uploaded_by",
        "created_at",
    )  # fmt: skip
    list_filter = ("state", "source")
    list_select_related = ("source", "uploaded_by")
    exclude = ("rejected_rows",)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("external_id", "source", "state", "attempts", "received_at", "processed_at")
    list_filter = ("state", "source__channel", "source")
    search_fields = ("external_id", "error")
    readonly_fields = (
        "source", "external_id", "payload", "received_at", "state", "attempts", "error",
        "processed_at", "signal",
    )  # fmt: skip
    list_select_related = ("source",)
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["reprocess"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    @admin.action(description=_("Re-process the selected failed messages"))
    def reprocess(self, request, queryset):  # type: ignore[no-untyped-def]
        count = inbound_reprocess(
            message_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, _("Queued again: %(count)d.") % {"count": count})


class EventInline(admin.TabularInline):
    model = SignalEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "from_status", "to_status", "reason", "changes")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReplyInline(admin.StackedInline):
    model = Reply
    extra = 0
    can_delete = False
    readonly_fields = ("state", "kind", "author", "reviewer", "submitted_at", "published_at")
    fk_name = "signal"


class NoteInline(admin.TabularInline):
    model = Note
    extra = 0
    can_delete = False
    readonly_fields = ("author", "created_at")


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    """Signals arrive through the intakes, change only through the workflow services (which
    write the timeline) and are never deleted: rejection is the way out."""

    list_display = ("number", "received_at", "channel", "status", "category", "agency", "priority")
    list_filter = ("status", "channel", "priority", "region", "is_mass_incident")
    search_fields = ("number", "external_id", "address")
    date_hierarchy = "received_at"
    list_select_related = ("category", "category__parent", "agency")
    readonly_fields = (
        "number", "status", "rejection_reason", "version", "reacted_at", "answered_at",
        "resolved_at", "reaction_due_at", "answer_due_at", "resolution_due_at",
        "next_deadline_at", "escalation_level", "reopened_count", "created_at", "updated_at",
    )  # fmt: skip
    exclude = ("search_vector",)
    autocomplete_fields = ("category", "municipality", "agency", "assignee", "parent", "source")
    inlines = [EventInline, ReplyInline, NoteInline, AttachmentInline]
    show_full_result_count = False  # no COUNT(*) over a million rows on every page


@admin.register(SignalEvent)
class SignalEventAdmin(ReadOnlyAdmin):
    list_display = ("signal", "kind", "actor", "from_status", "to_status", "created_at")
    list_filter = ("kind",)
    search_fields = ("signal__number",)
    list_select_related = ("signal", "actor")
    readonly_fields = (
        "signal",
        "kind",
        "actor",
        "from_status",
        "to_status",
        "changes",
        "reason",
        "created_at",
    )
    show_full_result_count = False


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


class SLAPolicyForm(forms.ModelForm):
    """Channels, priorities and pausing statuses as lists to tick, durations with units."""

    channels = forms.MultipleChoiceField(
        label=capfirst(_("channels")), choices=Channel.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every channel."),
    )  # fmt: skip
    priority = forms.ChoiceField(
        label=capfirst(_("priority")), required=False,
        choices=[("", _("every priority")), *Priority.choices],
    )  # fmt: skip
    pausing_statuses = forms.MultipleChoiceField(
        label=capfirst(_("statuses that pause the clock")), required=False,
        choices=[(status.value, status.label) for status in Status if status in OPEN_STATUSES],
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    reaction_duration = DurationUnitField(label=capfirst(_("reaction time")), required=False)
    answer_duration = DurationUnitField(label=capfirst(_("answer time")), required=False)
    resolution_duration = DurationUnitField(label=capfirst(_("resolution time")), required=False)
    extension_duration = DurationUnitField(
        label=capfirst(_("extension")), required=False,
        help_text=_("Empty: the deadline cannot be extended. A number and its unit."),
    )  # fmt: skip
    info_wait_duration = DurationUnitField(
        label=capfirst(_("waiting for the citizen's details")),
        help_text=_("With no answer to a question in this time, the signal is closed as "
                    "«details not received»."),
    )  # fmt: skip

    class Meta:
        model = SLAPolicy
        fields = [field.name for field in SLAPolicy._meta.fields if field.editable]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(WordedAdmin):
    form = SLAPolicyForm
    add_label = _("Add an SLA policy")
    change_label = _("Change the SLA policy")
    change_list_title = _("Choose an SLA policy to change")
    count_label = ngettext_lazy("%(count)d SLA policy", "%(count)d SLA policies", "count")
    list_display = (
        "name",
        "region",
        "channels",
        "category",
        "priority",
        "clock_start",
        "order",
        "version",
        "is_active",
    )
    list_filter = ("region", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ("category",)
    readonly_fields = ("version",)
    inlines = [EscalationStepInline]
    actions = ["recalculate_open_signals"]

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        # Every saved edit is a new version; open signals keep theirs until recalculated.
        sla_policy_publish(policy=form.instance, actor=request.user)

    @admin.action(description=_("Recalculate the open signals of the selected policies"))
    def recalculate_open_signals(self, request, queryset):  # type: ignore[no-untyped-def]
        queued = sum(dispatch.send("sla.recalculate_policy", policy.pk) for policy in queryset)
        if queued < queryset.count():
            self.message_user(
                request,
                _("The task queue is unavailable: run «manage.py sla_recalculate --now» instead."),
                level=messages.ERROR,
            )
            return
        self.message_user(
            request, _("Recalculation queued for %(count)d policies.") % {"count": queued}
        )


@admin.register(SLAPolicyVersion)
class SLAPolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("policy", "number", "created_at", "created_by")
    list_filter = ("policy",)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("signal", "deadline", "level", "cycle", "target", "recipients", "fired_at")
    list_filter = ("deadline", "level", "target")
    search_fields = ("signal__number",)
    list_select_related = ("signal",)
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "user", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__username")
    list_select_related = ("user",)
    show_full_result_count = False


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    list_display = ("order", "category", "keywords", "pattern", "is_active", "region")
    list_display_links = ("category",)
    list_filter = ("region", "is_active")
    search_fields = ("keywords", "pattern", "category__name")
    autocomplete_fields = ("category",)
    list_select_related = ("category", "category__parent", "region")


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = [field.name for field in RoutingRule._meta.fields if field.editable]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        agency, executor = data.get("agency"), data.get("executor")
        if agency is not None and executor is not None:
            from agencies.models import Membership

            if not Membership.objects.filter(user=executor, agency=agency).exists():
                self.add_error("executor", _(
                    "%(person)s does not work in %(agency)s: an executor is one of the "
                    "agency's staff."
                ) % {"person": executor, "agency": agency})  # fmt: skip
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(WordedAdmin):
    form = RoutingRuleForm
    add_label = _("Add a routing rule")
    change_label = _("Change the routing rule")
    change_list_title = _("Choose a routing rule to change")
    count_label = ngettext_lazy("%(count)d routing rule", "%(count)d routing rules", "count")
    list_display = (
        "order", "agency", "category", "municipality", "source", "official_page", "keywords",
        "executor", "is_active", "skipped_inactive_agency",
    )  # fmt: skip
    list_display_links = ("agency",)
    list_filter = ("region", "is_active", "skipped_inactive_agency")
    search_fields = ("keywords", "agency__name")
    autocomplete_fields = (
        "category",
        "municipality",
        "source",
        "official_page",
        "agency",
        "executor",
    )
    list_select_related = (
        "agency",
        "category",
        "municipality",
        "source",
        "official_page",
        "executor",
    )


@admin.register(TextClassifier)
class TextClassifierAdmin(admin.ModelAdmin):
    """Trained by `classifier_train` or the monthly task; here only the threshold and the
    active flag change."""

    list_display = (
        "region", "version", "created_at", "samples", "accuracy", "threshold", "coverage",
        "accuracy_above_threshold", "is_active",
    )  # fmt: skip
    list_filter = ("region", "is_active")
    readonly_fields = (
        "region", "version", "created_at", "samples", "holdout", "accuracy",
        "accuracy_above_threshold", "coverage", "classes",
    )  # fmt: skip
    exclude = ("model",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(MassIncidentProposal)
class MassIncidentProposalAdmin(ReadOnlyAdmin):
    """Decided on the analysts' page; shown here for the record."""

    list_display = ("title", "region", "state", "similarity", "parent", "created_at", "decided_by")
    list_filter = ("region", "state")
    list_select_related = ("region", "parent", "decided_by")
    raw_id_fields = ("signals", "parent")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Opened by the detector, decided on the analysts' page; shown here for the record."""

    list_display = ("__str__", "region", "kind", "observed", "expected", "state", "detected_at",
                    "ended_at")  # fmt: skip
    list_filter = ("region", "state", "kind")
    list_select_related = ("region",)
    raw_id_fields = ("municipality", "topic", "subtopic", "decided_by", "proposal")


# The outbound package's own admin (webhook subscriptions, deliveries, attempts).
from signals_app.outbound import admin as outbound_admin  # noqa: E402, F401
