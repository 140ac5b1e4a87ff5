"""The shape of one intake item (the batch JSON API's, which file imports share): validated at
the door, item by item, so one bad item is refused alone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from signals_app.untrusted import UntrustedInput, check_value, is_identifier


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    profile_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=100, required=False, allow_blank=True)


class AttachmentSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=1000)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True)


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its UTC offset: a bare local time is ambiguous across regions."""

    def to_internal_value(self, value):  # type: ignore[no-untyped-def]
        if isinstance(value, str) and not (
            value.endswith("Z") or "+" in value[10:] or "-" in value[10:]
        ):
            raise serializers.ValidationError(_("Give the time with its UTC offset (ISO 8601)."))
        return super().to_internal_value(value)


def identifier(value: str) -> None:
    if not is_identifier(value):
        raise serializers.ValidationError(_("An id may not hold control characters."))


class IngestItemSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=200, validators=[identifier])
    text = serializers.CharField(max_length=20_000)
    posted_at = OffsetDateTimeField()
    author = AuthorSerializer(required=False)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    municipality = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    category = serializers.CharField(max_length=64, required=False, allow_blank=True)
    attachments = AttachmentSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]
    thread_id = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):  # type: ignore[no-untyped-def]
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("lat and lon go together.")]})
        return attrs


class ItemChecker:
    """Validates items one after another with one serializer (its fields are built once)."""

    def __init__(self) -> None:
        self.serializer = IngestItemSerializer()

    def __call__(self, item: Any) -> tuple[str, dict[str, Any]]:
        """The item's external id (trimmed) if it may be stored, else its field errors."""
        if not isinstance(item, dict):
            return "", {"item": [str(_("Not an object."))]}
        try:
            check_value(item)  # a file's cell can hold what a JSON parser would have refused
        except UntrustedInput as refused:
            return "", {"item": [str(refused.message)]}
        try:
            validated = self.serializer.run_validation(item)
        except serializers.ValidationError as error:
            detail = error.detail
            return "", dict(detail) if isinstance(detail, dict) else {"item": detail}
        return validated["external_id"], {}
