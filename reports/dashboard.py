"""The live dashboard of the centre (one region) or of one agency: today and this week.

A handful of aggregate queries over indexed columns (received time, status, next deadline), so
it stays fast on a million signals and can refresh every minute on a wall screen.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce, TruncDate

from agencies.models import Agency, Region
from signals_app.choices import OPEN_STATUSES, Status
from signals_app.models import ReopenRequest, Signal, Survey


def dashboard_figures(
    *, region: Region, now: datetime, agency: Agency | None = None
) -> dict[str, Any]:
    zone = ZoneInfo(agency.time_zone if agency and agency.time_zone else region.time_zone)
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), time(), tzinfo=zone)
    week = today - timedelta(days=local.weekday())
    signals = Signal.objects.filter(region=region)
    if agency is not None:
        signals = signals.filter(agency=agency)
    open_ = Q(status__in=OPEN_STATUSES)
    overdue = open_ & Q(next_deadline_at__lt=now)
    reaction = ExpressionWrapper(F("reacted_at") - F("received_at"), output_field=DurationField())
    totals = signals.filter(Q(received_at__gte=week) | open_).aggregate(
        received_today=Count("id", filter=Q(received_at__gte=today)),
        received_week=Count("id", filter=Q(received_at__gte=week)),
        # «В работе» means what the queue's tab means: the status, not every open signal.
        in_work=Count("id", filter=Q(status=Status.IN_PROGRESS)),
        open_now=Count("id", filter=open_),
        overdue=Count("id", filter=overdue),
        reaction_today=Avg(reaction, filter=Q(received_at__gte=today, reacted_at__isnull=False)),
    )
    topics = list(
        signals.filter(received_at__gte=week)
        .values(
            topic=Coalesce("category__parent__name", "category__name"),
            topic_id=Coalesce("category__parent_id", "category_id"),
        )
        .annotate(count=Count("id"))
        .order_by("-count", "topic")[:5]
    )
    top = max((row["count"] for row in topics), default=0)
    for row in topics:
        row["share"] = round(100 * row["count"] / top) if top else 0
    last_days = today - timedelta(days=6)
    per_day = dict(
        signals.filter(received_at__gte=last_days)
        .annotate(day=TruncDate("received_at", tzinfo=zone))
        .values_list("day")
        .annotate(count=Count("id"))
        .values_list("day", "count")
    )
    days = [(last_days + timedelta(days=offset)).date() for offset in range(7)]
    busiest = max(per_day.values(), default=0)
    volume = []
    for day in days:
        share = round(100 * per_day.get(day, 0) / busiest) if busiest else 0
        volume.append({"day": day, "count": per_day.get(day, 0), "share": share,
                       "rest": 100 - share})  # fmt: skip
    places = list(
        signals.filter(Q(received_at__gte=week) | open_)
        .values("municipality_id", name=F("municipality__name"))
        .annotate(
            week=Count("id", filter=Q(received_at__gte=week)),
            open=Count("id", filter=open_),
            overdue=Count("id", filter=overdue),
        )
        .order_by("-open", "-week", "name")
    )
    # What the citizens said of the answers of the last 30 days, and what waits for a decision.
    surveys = Survey.objects.filter(
        signal__region=region, answered_at__gte=now - timedelta(days=30)
    )
    requests = ReopenRequest.objects.filter(
        signal__region=region, state=ReopenRequest.State.PENDING
    )
    if agency is not None:
        surveys = surveys.filter(signal__agency=agency)
        requests = requests.filter(signal__agency=agency)
    said = surveys.aggregate(answered=Count("id"), solved=Count("id", filter=Q(solved=True)))
    return {
        **totals,
        "surveys_answered": said["answered"],
        "solved_share": round(100 * said["solved"] / said["answered"])
        if said["answered"]
        else None,
        "reopen_pending": requests.count(),
        "reaction_today_seconds": totals["reaction_today"].total_seconds()
        if totals["reaction_today"]
        else None,
        "topics": topics,
        "volume": volume,
        "municipalities": places,
        "today": today,
        "week": week,
        "now": local,
    }
