"""Small display helpers of the case-management pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()

CHANNEL_MARKS = {
    "vk": "VK",
    "ok": "OK",
    "telegram": "TG",
    "pos": "ПОС",
    "widget": "W",
    "phone": "☎",
    "email": "@",
    "api": "API",
    "open311": "311",
    "import": "⇪",
}


@register.filter
def channel_mark(channel: str) -> str:
    """The short mark drawn in the channel icon."""
    return CHANNEL_MARKS.get(channel, "?")


@register.filter
def span(value: timedelta | float | int | None) -> str:
    """A duration as «3 ч 05 мин» / «2 дн 4 ч» (absolute; the sign is the caller's business)."""
    if value is None:
        return "—"
    seconds = int(abs(value.total_seconds() if isinstance(value, timedelta) else value))
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def ago(moment: datetime | None) -> str:
    """A short relative time: «5 мин назад», «3 ч назад», «2 дн назад»."""
    if moment is None:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("%(count)d min ago") % {"count": seconds // 60}
    if seconds < 86400:
        return _("%(count)d h ago") % {"count": seconds // 3600}
    return _("%(count)d d ago") % {"count": seconds // 86400}


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
