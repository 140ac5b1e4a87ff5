"""Who hears about a new signal: its agency's coordinators, and its executor if a rule named one.

In-app notifications (e-mailed in the digests of the notification module), one query to find
the people and one insert, for one signal or a whole batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.utils.translation import gettext as _

from agencies.models import Membership
from signals_app.models import Notification, Signal


def notify_arrivals(signals: Sequence[Signal]) -> int:
    """Notify about signals routed on arrival; return how many notifications were written."""
    routed = [signal for signal in signals if signal.agency_id is not None]
    if not routed:
        return 0
    coordinators: dict[int, list[int]] = defaultdict(list)
    for user_id, agency_id in Membership.objects.filter(
        agency_id__in={signal.agency_id for signal in routed},
        role=Membership.Role.COORDINATOR,
        user__is_active=True,
    ).values_list("user_id", "agency_id"):
        coordinators[agency_id].append(user_id)
    rows = []
    for signal in routed:
        assert signal.agency_id is not None
        users = set(coordinators[signal.agency_id])
        if signal.assignee_id is not None:
            users.add(signal.assignee_id)
        title = _("New signal %(number)s for your agency") % {"number": signal.number}
        rows += [
            Notification(user_id=user_id, signal_id=signal.pk, kind="arrived", title=title)
            for user_id in sorted(users)
        ]
    Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
