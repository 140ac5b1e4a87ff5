"""What the early warning's pages read, scoped to the regions whose figures the user reads."""

from __future__ import annotations

from django.db.models import QuerySet

from agencies.models import User
from signals_app.access import figures_regions_for
from signals_app.analytics.early_warning import alert_signals
from signals_app.analytics.models import Alert
from signals_app.models import Signal

SAMPLES = 5


def alerts_for_user(*, user: User, state: str = "") -> QuerySet[Alert]:
    alerts = Alert.objects.select_related(
        "region", "municipality", "topic", "subtopic", "decided_by", "proposal"
    )
    regions = figures_regions_for(user=user)
    if regions is not None:
        alerts = alerts.filter(region_id__in=regions)
    if state == "running":
        alerts = alerts.filter(ended_at__isnull=True)
    elif state in Alert.State.values:
        alerts = alerts.filter(state=state)
    return alerts


def alert_samples(*, alert: Alert, limit: int = SAMPLES) -> list[Signal]:
    """The alert's latest signals (the page shows their texts, not their authors)."""
    return list(
        Signal.objects.filter(alert_signals(alert))
        .select_related("municipality", "category")
        .only("number", "text", "received_at", "channel", "status", "municipality__name",
              "category__name")
        .order_by("-received_at", "-pk")[:limit]
    )  # fmt: skip
