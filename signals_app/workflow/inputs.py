"""What each action takes as input (floor 3): one serializer per action, read by the signal page
(a posted form), the bulk bar and the API (JSON) alike.

The fields carry the names the forms and the API post; `source` maps one to the service's own
argument where they differ. A serializer turns ids into rows the user may name (an agency of
the signal's region, a reply of this signal, a signal the user can see) and leaves the rules
to the service that performs the action — it checks them again under the row lock.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agencies.models import Agency, User
from signals_app.choices import Channel, Priority
from signals_app.models import Category, Reply, Signal

MAX_CHILDREN = 200
MAX_TEXT = 20_000
MAX_REASON = 2000


class ActionInput(serializers.Serializer):
    """Base of the inputs: `context` holds the signal acted on and the acting user."""

    @property
    def signal(self) -> Signal:
        return self.context["signal"]

    @property
    def user(self) -> User | None:
        return self.context.get("user")


class NoInput(ActionInput):
    """The action takes nothing but the version the user saw."""


def _reason(**extra: Any) -> serializers.CharField:
    """A reason or comment: the move's rule says whether it may be empty (and says so)."""
    return serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON, default="", **extra
    )


def _pick(message: Any, **extra: Any) -> serializers.IntegerField:
    """The id of a row picked from a list: any wrong value gets the same plain message."""
    codes = ("required", "invalid", "null", "min_value", "max_string_length", "max_value")
    return serializers.IntegerField(
        min_value=1, error_messages=dict.fromkeys(codes, message), **extra
    )


def _person(value: int | None) -> User | None:
    if value is None:
        return None
    person = User.objects.filter(pk=value, is_active=True).first()
    if person is None:
        raise serializers.ValidationError(_("No such active user."))
    return person


class RouteInput(ActionInput):
    agency = _pick(_("Choose the agency."), help_text=_("An agency of the signal's region."))
    assignee = _pick(
        _("Choose the assignee."), required=False, allow_null=True, default=None,
        help_text=_("Optionally, an employee of that agency."),
    )  # fmt: skip
    reason = _reason(help_text=_("A comment on the routing (optional)."))

    def validate_agency(self, value: int) -> Agency:
        agency = Agency.objects.filter(pk=value, region_id=self.signal.region_id).first()
        if agency is None:
            raise serializers.ValidationError(_("No such agency in the signal's region."))
        return agency

    def validate_assignee(self, value: int | None) -> User | None:
        return _person(value)


class AssignInput(ActionInput):
    assignee = _pick(
        _("Choose the assignee."), allow_null=True,
        help_text=_("null (or empty) takes the assignee off."),
    )  # fmt: skip

    def validate_assignee(self, value: int | None) -> User | None:
        return _person(value)


class QuestionInput(ActionInput):
    reason = _reason(source="question", help_text=_("The question to the citizen."))


class PartInput(ActionInput):
    agency = _pick(_("Choose the co-executor's agency."),
                   help_text=_("An agency of the signal's region other than the lead."))  # fmt: skip
    assignee = _pick(_("Choose the assignee."), required=False, allow_null=True, default=None,
                     help_text=_("Optionally, an employee of that agency."))  # fmt: skip
    task = serializers.CharField(
        max_length=MAX_REASON, help_text=_("What the co-executor must do.")
    )
    due = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text=_("The part's deadline; empty: the signal's answer deadline (5 days if it is past)."),
    )  # fmt: skip

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        # The page's empty date field means "no date of its own" (the signal's deadline).
        if hasattr(data, "get") and data.get("due") == "":
            data = {key: data.get(key) for key in data if key != "due"}
        return super().to_internal_value(data)

    def validate_agency(self, value: int) -> Agency:
        agency = Agency.objects.filter(
            pk=value, region_id=self.signal.region_id, is_active=True
        ).first()
        if agency is None:
            raise serializers.ValidationError(_("No such agency in the signal's region."))
        if agency.pk == self.signal.agency_id:
            raise serializers.ValidationError(_("The lead agency does not get a part of its own."))
        return agency

    def validate_assignee(self, value: int | None) -> User | None:
        return _person(value)


class PartAnswerInput(ActionInput):
    text = serializers.CharField(max_length=MAX_TEXT, help_text=_("Your agency's answer."))


class PartCloseInput(ActionInput):
    part = _pick(_("Choose the part."))
    reason = serializers.CharField(max_length=MAX_REASON, help_text=_("Why it is not needed."))

    def validate_part(self, value: int):  # type: ignore[no-untyped-def]
        from signals_app.models import SignalPart

        part = SignalPart.objects.filter(
            pk=value, signal_id=self.signal.pk, state=SignalPart.State.OPEN
        ).first()
        if part is None:
            raise serializers.ValidationError(_("No such open part of this signal."))
        return part


class ForwardInput(ActionInput):
    body = _pick(_("Choose the organisation."),
                 help_text=_("An outside body of the signal's region (admin → Outside bodies)."))  # fmt: skip
    note = _reason(help_text=_("A note to the organisation, above the appeal (optional)."))
    with_contact = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Pass the citizen's name and contact on (off: the text and the place only)."),
    )  # fmt: skip

    def validate_body(self, value: int):  # type: ignore[no-untyped-def]
        from signals_app.models import OutsideBody

        body = OutsideBody.objects.filter(
            pk=value, region_id=self.signal.region_id, is_active=True
        ).first()
        if body is None:
            raise serializers.ValidationError(_("No such outside body in the signal's region."))
        return body


class ReasonInput(ActionInput):
    reason = _reason(help_text=_("Why (required where the move asks for it)."))


class ReplyTextInput(ActionInput):
    text = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(
        choices=[(kind.value, kind.label) for kind in Reply.WRITTEN_KINDS],
        default=Reply.Kind.FINAL,
    )
    draft = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None,
        help_text=_("Your draft (or returned reply) that this text continues."),
    )  # fmt: skip


class _ReplyOfSignal(ActionInput):
    reply = _pick(_("The reply was not found."), help_text=_("The reply waiting for review."))

    def validate_reply(self, value: int) -> Reply:
        reply = Reply.objects.filter(pk=value, signal_id=self.signal.pk).first()
        if reply is None:
            raise serializers.ValidationError(_("The reply was not found."))
        return reply


class ApproveInput(_ReplyOfSignal):
    pass


class ReturnInput(_ReplyOfSignal):
    comment = serializers.CharField(
        max_length=MAX_REASON, allow_blank=True, help_text=_("What to rework.")
    )


class ReviseInput(_ReplyOfSignal):
    text = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, trim_whitespace=False)


def _visible(user: User | None, number: str) -> Signal:
    """A signal the user may see, by its number (any signal for the system)."""
    from signals_app.selectors import signal_visible_to

    number = (number or "").strip()
    signals = Signal.objects.all() if user is None else signal_visible_to(user=user)
    found = signals.filter(number=number).first()
    if found is None:
        raise serializers.ValidationError(
            _("Signal %(number)s was not found.") % {"number": number or "—"}
        )
    return found


class DuplicateInput(ActionInput):
    original = serializers.CharField(max_length=30, help_text=_("The first signal's number."))

    def validate_original(self, value: str) -> Signal:
        return _visible(self.user, value)


class NumbersField(serializers.Field):
    """Signal numbers: a JSON list, or one text with spaces or commas between them."""

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            numbers = re.split(r"[\s,;]+", data.strip())
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            numbers = [item.strip() for item in data]
        else:
            raise serializers.ValidationError(_("Give signal numbers."))
        numbers = [number for number in numbers if number]
        if not numbers:
            raise serializers.ValidationError(_("Name the signals to merge into this one."))
        if len(numbers) > MAX_CHILDREN:
            raise serializers.ValidationError(
                _("At most %(count)d signals at once.") % {"count": MAX_CHILDREN}
            )
        return numbers

    def to_representation(self, value: Any) -> Any:
        return value


class MergeInput(ActionInput):
    children = NumbersField(help_text=_("Numbers of the signals to merge into this one."))
    confirm = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Merge even where the municipality or the topic differs."),
    )  # fmt: skip

    def validate_children(self, value: list[str]) -> list[int]:
        return [_visible(self.user, number).pk for number in value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Signals of another municipality or topic are rarely one incident: say which, and
        merge them only when confirmed."""
        if attrs.pop("confirm", False):
            return attrs
        lead = self.signal
        others = Signal.objects.filter(pk__in=attrs.get("children") or []).select_related(
            "municipality", "category", "category__parent"
        )
        differences = []
        for child in others:
            if child.municipality_id != lead.municipality_id:
                differences.append(_("%(number)s is from another municipality (%(place)s)") % {
                    "number": child.number,
                    "place": child.municipality.name if child.municipality else "—",
                })  # fmt: skip
            elif _topic(child) != _topic(lead):
                topic = child.category.parent or child.category if child.category else None
                differences.append(_("%(number)s is of another topic (%(topic)s)") % {
                    "number": child.number, "topic": topic.name if topic else "—",
                })  # fmt: skip
        if differences:
            raise serializers.ValidationError({"children": [
                _("Check before merging: %(what)s. Tick «merge anyway» if it is one incident.")
                % {"what": "; ".join(differences)}
            ]})  # fmt: skip
        return attrs


def _topic(signal: Signal) -> int | None:
    category = signal.category
    if category is None:
        return None
    return category.parent_id or category.pk


class CategoryInput(ActionInput):
    category = _pick(
        _("Choose the category."), allow_null=True,
        help_text=_("A category of the region; null clears it."),
    )  # fmt: skip

    def validate_category(self, value: int | None) -> Category | None:
        if value is None:
            return None
        category = Category.objects.filter(
            pk=value, region_id=self.signal.region_id, is_active=True
        ).first()
        if category is None:
            raise serializers.ValidationError(_("No such category in the signal's region."))
        return category


class PriorityInput(ActionInput):
    priority = serializers.ChoiceField(choices=Priority.choices)


class ChannelInput(ActionInput):
    channel = serializers.ChoiceField(choices=Channel.choices)


class NoteInput(ActionInput):
    text = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)


class HandedInput(ActionInput):
    delivery = _pick(_("Choose the delivery."), help_text=_("The answer the citizen has not got."))
    reason = serializers.CharField(
        max_length=1000, help_text=_("How the citizen got it: a call, a letter, in person…")
    )

    def validate_delivery(self, value: int) -> Any:
        from signals_app.outbound.models import ReplyDelivery

        delivery = ReplyDelivery.objects.filter(pk=value, signal_id=self.signal.pk).first()
        if delivery is None:
            raise serializers.ValidationError(_("Choose the delivery."))
        return delivery

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Say how the citizen got the answer."))
        return value.strip()


class RedeliverInput(ActionInput):
    delivery = _pick(_("Choose the delivery to send again."), help_text=_("The failed delivery."))

    def validate_delivery(self, value: int) -> Any:
        from signals_app.outbound.models import ReplyDelivery

        delivery = ReplyDelivery.objects.filter(pk=value, signal_id=self.signal.pk).first()
        if delivery is None:
            raise serializers.ValidationError(_("Choose the delivery to send again."))
        return delivery
