"""The organisers' integrity report: what looks like mass «administrative» voting, each finding
with its evidence and the votes it concerns (to annul with a reason, or to leave).

- an object's hour far above its own hours (more than `HOUR_FACTOR` times its median hour
  and at least `HOUR_MIN` votes);
- bursts: at least `BURST_ADDRESS` votes from one address, `BURST_DEVICE` from one device or
  `BURST_HELPER` by one helper within `BURST_MINUTES` minutes;
- helpers with a large share of a municipality's votes (`HELPER_SHARE`);
- the last hour of a municipality's window far above its mean hour (`LAST_FACTOR`).

Only counted votes are read; annulled ones are reported apart in the results.
"""

from __future__ import annotations

import operator
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Func, Q
from django.db.models.functions import TruncHour
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from signals_app.votes.models import Campaign, Participation, Vote
from signals_app.votes.services import window

HOUR_FACTOR, HOUR_MIN = 5, 20
BURST_MINUTES = 10
BURST_ADDRESS, BURST_DEVICE, BURST_HELPER = 30, 5, 40
HELPER_SHARE = 20  # per cent of a municipality's votes, with at least HOUR_MIN of them
LAST_FACTOR = 3
EVIDENCE = 1000  # votes named per finding at most


@dataclass
class Finding:
    kind: str  # "hour", "address", "device", "helper_burst", "helper_share", "last_hour"
    title: str
    evidence: str
    votes: list[int] = field(default_factory=list)
    count: int = 0


class _Bucket(Func):
    """The start of the `BURST_MINUTES`-minute bucket a moment falls in (PostgreSQL)."""

    template = "date_bin('%(minutes)s minutes', %(expressions)s, TIMESTAMPTZ '2000-01-01')"

    def __init__(self, expression, minutes: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(expression, minutes=minutes, output_field=Vote._meta.get_field("cast_at"))


def _local(campaign: Campaign, moment: datetime) -> str:
    """A moment as the organisers read it: the region's own clock."""
    return f"{moment.astimezone(ZoneInfo(campaign.region.time_zone)):%d.%m %H:%M}"


def _ids(campaign: Campaign, **match) -> list[int]:  # type: ignore[no-untyped-def]
    found = Vote.objects.filter(campaign=campaign, state=Vote.State.COUNTED, **match)
    return list(found.order_by("cast_at").values_list("pk", flat=True)[:EVIDENCE])


def _hours(campaign: Campaign) -> list[Finding]:
    found = []
    rows = (
        Vote.objects.filter(campaign=campaign, state=Vote.State.COUNTED)
        .annotate(hour=TruncHour("cast_at"))
        .values("vote_object_id", "vote_object__name", "hour")
        .annotate(number=Count("pk"))
    )
    by_object: dict[tuple[int, str], list[tuple[datetime, int]]] = defaultdict(list)
    for row in rows:
        by_object[(row["vote_object_id"], row["vote_object__name"])].append(
            (row["hour"], row["number"])
        )
    for (number, name), hours in by_object.items():
        typical = statistics.median(count for _hour, count in hours)
        for hour, count in hours:
            if count >= HOUR_MIN and count > HOUR_FACTOR * typical:
                found.append(Finding(
                    "hour", _("«%(name)s»: %(count)s votes in one hour") % {"name": name, "count": count},
                    _("From %(hour)s: %(count)s votes, against a median of %(typical)s an "
                      "hour for this object.") % {"hour": _local(campaign, hour), "count": count,
                                                  "typical": typical},
                    _ids(campaign, vote_object_id=number, cast_at__gte=hour,
                         cast_at__lt=hour + timedelta(hours=1)), count,
                ))  # fmt: skip
    return found


def _bursts(campaign: Campaign) -> list[Finding]:
    found = []
    kinds = (
        ("address", "address", BURST_ADDRESS, _("one address")),
        ("device", "device", BURST_DEVICE, _("one device")),
        ("helper_burst", "helper_id", BURST_HELPER, _("one helper")),
    )
    for kind, column, threshold, who in kinds:
        rows = (
            Vote.objects.filter(campaign=campaign, state=Vote.State.COUNTED)
            .exclude(**{f"{column}__isnull": True})
            .exclude(**({column: ""} if column != "helper_id" else {}))
            .annotate(bucket=_Bucket(F("cast_at"), BURST_MINUTES))
            .values(column, "bucket")
            .annotate(number=Count("pk"))
            .filter(number__gte=threshold)
            .order_by("-number")
        )
        for row in rows:
            start = row["bucket"]
            found.append(Finding(
                kind, _("%(count)s votes from %(who)s in %(minutes)s minutes")
                % {"count": row["number"], "who": who, "minutes": BURST_MINUTES},
                _("From %(start)s, %(who)s (%(mark)s).") % {
                    "start": _local(campaign, start), "who": who, "mark": str(row[column])[:16]},
                _ids(campaign, **{column: row[column]}, cast_at__gte=start,
                     cast_at__lt=start + timedelta(minutes=BURST_MINUTES)), row["number"],
            ))  # fmt: skip
    return found


def helper_shares(campaign: Campaign) -> list[dict]:
    """Per helper and municipality: assisted votes and their share of the municipality's."""
    totals = dict(
        Vote.objects.filter(campaign=campaign, state=Vote.State.COUNTED)
        .values_list("municipality_id")
        .annotate(number=Count("pk"))
    )
    rows = (
        Vote.objects.filter(campaign=campaign, state=Vote.State.COUNTED, helper__isnull=False)
        .values("helper_id", "helper__username", "municipality_id", "municipality__name", "origin")
        .annotate(number=Count("pk"))
        .order_by("-number")
    )
    return [
        {**row, "share": round(100 * row["number"] / totals[row["municipality_id"]], 1),
         "origin_label": Vote.Origin(row["origin"]).label}
        for row in rows
    ]  # fmt: skip


def _shares(campaign: Campaign) -> list[Finding]:
    found = []
    for row in helper_shares(campaign):
        if row["number"] >= HOUR_MIN and row["share"] >= HELPER_SHARE:
            found.append(Finding(
                "helper_share",
                _("%(helper)s: %(share)s%% of the votes of %(place)s") % {
                    "helper": row["helper__username"], "share": row["share"],
                    "place": row["municipality__name"]},
                _("%(count)s votes recorded by this helper.") % {"count": row["number"]},
                _ids(campaign, helper_id=row["helper_id"],
                     municipality_id=row["municipality_id"]), row["number"],
            ))  # fmt: skip
    return found


def _last_hour(campaign: Campaign) -> list[Finding]:
    """Each municipality's last hour against its mean hour (one query for all of them: each
    municipality's last hour ends at its own midnight)."""
    places = list(Participation.objects.filter(campaign=campaign).select_related(
        "municipality__region"))  # fmt: skip
    if not places:
        return []
    windows = {place.municipality_id: window(campaign, place.municipality) for place in places}
    last = reduce(operator.or_, (
        Q(municipality_id=number, cast_at__gte=closes - timedelta(hours=1), cast_at__lt=closes)
        for number, (_opens, closes) in windows.items()
    ))  # fmt: skip
    counts = {
        row["municipality_id"]: row
        for row in Vote.objects.filter(campaign=campaign, state=Vote.State.COUNTED)
        .values("municipality_id")
        .annotate(total=Count("pk"), last=Count("pk", filter=last))
    }
    found = []
    for place in places:
        row = counts.get(place.municipality_id)
        if row is None:
            continue
        opens, closes = windows[place.municipality_id]
        mean = row["total"] / max((closes - opens).total_seconds() / 3600, 1)
        if row["last"] >= HOUR_MIN and row["last"] > LAST_FACTOR * mean:
            found.append(Finding(
                "last_hour",
                _("%(place)s: %(count)s votes in the last hour") % {
                    "place": place.municipality.name, "count": row["last"]},
                _("Against %(mean)s in a mean hour of the vote.") % {
                    "mean": number_format(round(mean, 1), 1)},
                _ids(campaign, municipality=place.municipality,
                     cast_at__gte=closes - timedelta(hours=1), cast_at__lt=closes), row["last"],
            ))  # fmt: skip
    return found


def integrity_report(campaign: Campaign) -> list[Finding]:
    """Every finding, the largest first."""
    findings = _hours(campaign) + _bursts(campaign) + _shares(campaign) + _last_hour(campaign)
    return sorted(findings, key=lambda item: -item.count)
