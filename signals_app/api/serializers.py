"""What the API sends and accepts. Personal data of the author only to those who may see it
(the same rule as the signal page: the region's analysts and the signal's agency staff)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from signals_app.access import mask_name, may_see_personal_data
from signals_app.choices import Channel, Priority, Status
from signals_app.models import Reply
from signals_app.workflow import inputs


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    topic = serializers.CharField(source="parent.name", default="", allow_blank=True)


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("Masked («И*** П***») without personal-data access."))
    profile_url = serializers.CharField(allow_blank=True)
    contact = serializers.CharField(allow_blank=True)
    masked = serializers.BooleanField()


class SignalSerializer(serializers.Serializer):
    """A signal as the queue lists it."""

    number = serializers.CharField()
    url = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        help_text=_("Send it back with an action: a change made meanwhile gives 409.")
    )
    received_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    priority = serializers.ChoiceField(choices=Priority.choices)
    region = serializers.CharField(source="region.code")
    category = CategoryRefSerializer(allow_null=True)
    municipality = NamedSerializer(allow_null=True)
    agency = NamedSerializer(allow_null=True)
    assignee = PersonSerializer(allow_null=True)
    next_deadline_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    escalation_level = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.SerializerMethodField()
    is_mass_incident = serializers.BooleanField()
    # DRF takes declared fields off the class, so these names do not shadow Field attributes.
    parent = serializers.CharField(source="parent.number", default=None, allow_null=True)  # type: ignore[assignment]

    def get_url(self, signal) -> str:  # type: ignore[no-untyped-def]
        return reverse("api:signal_detail", args=[signal.number])

    @extend_schema_field(AuthorSerializer)
    def get_author(self, signal) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        if may_see_personal_data(self.context["staff"], signal):
            return {
                "name": signal.author_name, "profile_url": signal.author_profile_url,
                "contact": signal.author_contact, "masked": False,
            }  # fmt: skip
        return {
            "name": mask_name(signal.author_name), "profile_url": "", "contact": "",
            "masked": True,
        }  # fmt: skip


class DeadlineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    clock = serializers.CharField()
    duration_seconds = serializers.SerializerMethodField()
    base_due = serializers.DateTimeField(
        help_text=_("Start plus the term in the calendar, before pauses.")
    )
    after_pauses = serializers.DateTimeField()
    due = serializers.DateTimeField(allow_null=True)
    fulfilled_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=["ok", "overdue", "paused", "done", "late", "none"])
    working_seconds_left = serializers.SerializerMethodField()

    def get_duration_seconds(self, row) -> float:  # type: ignore[no-untyped-def]
        return row.duration.total_seconds()

    def get_working_seconds_left(self, row) -> float | None:  # type: ignore[no-untyped-def]
        return row.left.total_seconds() if row.left is not None else None


class EscalationSerializer(serializers.Serializer):
    deadline = serializers.CharField()
    level = serializers.IntegerField()
    cycle = serializers.IntegerField()
    fired_at = serializers.DateTimeField()


class TimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    actor = serializers.CharField()
    detail = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()


class DeliverySerializer(serializers.Serializer):
    state = serializers.CharField(
        help_text=_("pending, sending, retrying, delivered, failed, skipped")
    )
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class ReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Reply.Kind.choices)
    state = serializers.ChoiceField(choices=Reply.State.choices)
    text = serializers.CharField()
    author = serializers.CharField(source="author.username", default="")
    reviewer = serializers.CharField(source="reviewer.username", default="")
    review_comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    delivery = serializers.SerializerMethodField(
        help_text=_("How the published reply travels back to the author; null before.")
    )

    @extend_schema_field(DeliverySerializer(allow_null=True))
    def get_delivery(self, reply) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
        from django.core.exceptions import ObjectDoesNotExist

        try:
            delivery = reply.delivery
        except ObjectDoesNotExist:
            return None
        return DeliverySerializer(delivery).data


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    original_url = serializers.CharField(source="url")


class ForwardSerializer(serializers.Serializer):
    """A forward to an outside body: where, when, until when, and its answer."""

    id = serializers.IntegerField()
    body = serializers.CharField(source="body.name")
    body_kind = serializers.CharField(source="body.kind")
    state = serializers.CharField()
    forwarded_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    is_overdue = serializers.BooleanField()
    answered_at = serializers.DateTimeField(allow_null=True)
    answer = serializers.CharField()


class PartSerializer(serializers.Serializer):
    """A co-executor's part: its agency, task, deadline and answer (a co-executor sees its own
    parts only)."""

    id = serializers.IntegerField()
    agency = NamedSerializer()
    task = serializers.CharField()
    state = serializers.CharField()
    due_at = serializers.DateTimeField()
    is_overdue = serializers.BooleanField()
    answer = serializers.CharField()
    closed_reason = serializers.CharField()
    ended_at = serializers.DateTimeField(allow_null=True)


class SignalDetailSerializer(SignalSerializer):
    """One signal with its deadlines (and how they were computed), escalations and timeline."""

    external_url = serializers.CharField()
    address = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    rejection_reason = serializers.CharField()
    reacted_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    reopened_count = serializers.IntegerField()
    deadlines = DeadlineSerializer(many=True, source="api_deadlines")
    sla_explanation = serializers.JSONField(
        source="api_explanation",
        help_text=_("The policy, the clock start, pauses and extension behind the deadlines."),
    )
    escalations = EscalationSerializer(many=True, source="api_escalations")
    timeline = TimelineSerializer(many=True, source="api_timeline")
    replies = ReplySerializer(many=True, source="api_replies")
    attachments = AttachmentSerializer(many=True, source="api_attachments")
    forwards = ForwardSerializer(many=True, source="api_forwards")
    parts = PartSerializer(many=True, source="api_parts")


# --- input ----------------------------------------------------------------------------------


class VersionedInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text=_("The signal's version you saw; a different current version gives 409."),
    )  # fmt: skip


class RouteBody(VersionedInput, inputs.RouteInput):
    pass


class AssignBody(VersionedInput, inputs.AssignInput):
    pass


class TransitionInput(VersionedInput):
    to_status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReplyBody(VersionedInput):
    text = serializers.CharField(max_length=20_000, allow_blank=True)
    kind = serializers.ChoiceField(
        choices=[(kind.value, kind.label) for kind in Reply.WRITTEN_KINDS],
        default=Reply.Kind.FINAL,
    )
    submit = serializers.BooleanField(
        default=True, help_text=_("false keeps it as your private draft.")
    )


class ReviewInput(VersionedInput):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("return", "return")])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class NoteBody(inputs.NoteInput):
    pass


class ActionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["string", "integer", "choice", "boolean"])
    required = serializers.BooleanField()  # type: ignore[assignment]
    nullable = serializers.BooleanField()
    help = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.DictField(), required=False)


class ActionSerializer(serializers.Serializer):
    """An action the user may take on the signal now (the same registry as the page)."""

    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    bulk = serializers.BooleanField(help_text=_("The queue's bulk bar offers it too."))
    key = serializers.CharField(allow_blank=True, help_text=_("Its keyboard key on the pages."))
    url = serializers.SerializerMethodField()
    input_fields = serializers.SerializerMethodField(help_text=_("What to send with it."))

    def get_url(self, action: Any) -> str:
        signal = self.context["signal"]
        return self.context["request"].build_absolute_uri(
            reverse("api:signal_action", args=[signal.number, action.name])
        )

    @extend_schema_field(ActionFieldSerializer(many=True))
    def get_input_fields(self, action: Any) -> list[dict[str, Any]]:
        from signals_app.workflow.actions import input_fields

        return input_fields(action)
