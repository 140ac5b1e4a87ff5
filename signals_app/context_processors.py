"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from signals_app.access import user_may_act, user_may_report
from signals_app.selectors import user_is_analyst
from signals_app.sla.notifications import notification_unread_count
from signals_app.ui import columns
from signals_app.workflow.actions import registration_for


def notifications(request: HttpRequest) -> dict[str, int | bool]:
    """The unread notification count for the header (one indexed count query) and whether the
    user is an analyst (the staff context is cached on the user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    shown = columns.columns_for(user, request.GET)
    return {
        "unread_notifications": notification_unread_count(user=user),
        "is_analyst": user_is_analyst(user=user),
        "poll_seconds": settings.QUEUE_POLL_SECONDS,
        "may_write": user_may_act(user=user),
        "may_report": user_may_report(user=user),
        "may_register": registration_for(user).allowed,
        "queue_columns": shown,
        "queue_has_escalation": any(column.key == "escalation" for column in shown),
        "queue_density": user.queue_density,
    }
