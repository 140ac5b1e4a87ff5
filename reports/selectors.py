"""Reads of the reports app, scoped to the regions the user reports on."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from agencies.models import User
from reports.models import Report
from reports.services import progress_key
from signals_app.access import figures_regions_for


def report_regions_for(*, user: User) -> list[int] | None:
    """Regions whose reports the user may see; None means every region."""
    return figures_regions_for(user=user)


def reports_for_user(*, user: User) -> QuerySet[Report]:
    reports = Report.objects.select_related("region", "municipality", "agency", "requested_by")
    regions = report_regions_for(user=user)
    return reports if regions is None else reports.filter(region_id__in=regions)


def previous_version(report: Report) -> Report | None:
    """The last finished version before this one, with the same parameters."""
    return (
        Report.objects.filter(
            region_id=report.region_id, year=report.year, month=report.month,
            municipality_id=report.municipality_id, agency_id=report.agency_id,
            version__lt=report.version, state=Report.State.DONE,
        )
        .order_by("-version")
        .first()
    )  # fmt: skip


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            label = next(
                (str(item[k]) for k in ("topic", "channel", "municipality", "agency", "level", "number")
                 if isinstance(item, dict) and k in item), str(index),
            )  # fmt: skip
            if isinstance(item, dict) and "subtopic" in item and item["subtopic"]:
                label += f" / {item['subtopic']}"
            flat |= _flatten(item, f"{prefix}[{label}]")
        return flat
    return {prefix: value}


def report_diff(report: Report, previous: Report) -> list[tuple[str, Any, Any]]:
    """The figures that differ between two versions: (where, before, now)."""
    before, now = _flatten(previous.figures), _flatten(report.figures)
    keys = sorted(set(before) | set(now))
    return [(key, before.get(key), now.get(key)) for key in keys if before.get(key) != now.get(key)]


def report_progress(report: Report) -> int:
    """Per cent done: the running generation's own figure from the cache, else the row's."""
    if report.state in (Report.State.QUEUED, Report.State.RUNNING):
        return int(cache.get(progress_key(report.pk), report.progress))
    return report.progress
