"""Small display helpers of the case-management pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

from signals_app import channels
from signals_app.ui import formatting

register = template.Library()


@register.filter
def channel_mark(channel: str) -> str:
    """The short mark drawn in the channel icon."""
    return channels.mark(channel)


register.filter("span", formatting.span)
register.filter("ago", formatting.ago)


@register.filter
def negative(value: timedelta | None) -> bool:
    return value is not None and value.total_seconds() < 0


@register.filter
def person(user) -> str:  # type: ignore[no-untyped-def]
    """A user's full name, else the login."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


@register.filter
def get_item(mapping, key):  # type: ignore[no-untyped-def]
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def is_selected(option, value) -> bool:  # type: ignore[no-untyped-def]
    """Whether a select's option is among the field's current value(s)."""
    option = str(getattr(option, "value", option))
    if value is None:
        return option in ("", "unknown")
    if isinstance(value, bool):  # a yes/no/unknown select reads its data as a boolean
        return option == ("true" if value else "false")
    if isinstance(value, list | tuple):
        return option in {str(item) for item in value}
    return option == str(value)
