"""Short Russian-friendly renderings of times and durations, for templates and row builders."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def span(value: timedelta | float | int | None) -> str:
    """A duration as «3 ч 05 мин» / «2 дн 4 ч» (absolute; the sign is the caller's business)."""
    if value is None:
        return "—"
    seconds = int(abs(value.total_seconds() if isinstance(value, timedelta) else value))
    hours, minutes = divmod(seconds // 60, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def term_left(value: timedelta | None, clock: str) -> str:
    """What is left of a term (absolute) in its clock's units: «5 раб. дн.», «1 раб. ч 20 мин»,
    «40 раб. мин», or calendar time as `span` writes it."""
    if value is None:
        return "—"
    seconds = int(abs(value.total_seconds()))
    if clock == "working_days":
        days = seconds // 86400
        return ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}
    if clock == "working_hours":
        hours, minutes = divmod(seconds // 60, 60)
        if hours:
            return _("%(hours)d working h %(minutes)02d min") % {
                "hours": hours, "minutes": minutes,
            }  # fmt: skip
        return _("%(minutes)d working min") % {"minutes": minutes}
    return span(value)


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A short relative time: «5 мин назад», «3 ч назад», «2 дн назад»."""
    if moment is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - moment).total_seconds()))
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("%(count)d min ago") % {"count": seconds // 60}
    if seconds < 86400:
        return _("%(count)d h ago") % {"count": seconds // 3600}
    days = seconds // 86400
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
