"""The monthly report's figures, computed by PostgreSQL from the signals and their events.

One function, `monthly_figures`, returns a JSON-ready dict. Every figure is an aggregate in SQL
(`count`, `avg`, `percentile_cont`), never a Python loop over rows. Working time is the overlap
of each interval with the working periods of the schedule the signal's deadlines count in: the
agency's own calendar and time zone where it has them, the region's default calendar and time
zone otherwise (and for signals not yet routed). The periods of every schedule in use are passed
in as arrays and summed in SQL.

The month is taken in the region's time zone. The state "at month end" is read from the events
(the last status change before the end), so a report generated later says what was true then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.translation import gettext_lazy

from agencies.models import Agency, Region, WorkCalendar
from signals_app.choices import OPEN_STATUSES, Channel, Status
from signals_app.sla.selectors import schedule_load

PERCENTILES = (0.5, 0.9)
# Answer time in working hours: the buckets of the distribution chart (seconds).
HISTOGRAM_BOUNDS = (
    (0, 3600), (3600, 4 * 3600), (4 * 3600, 8 * 3600), (8 * 3600, 24 * 3600),
    (24 * 3600, 80 * 3600), (80 * 3600, 10**9),
)  # fmt: skip
HISTOGRAM_LABELS = (
    gettext_lazy("< 1 h"), gettext_lazy("1–4 h"), gettext_lazy("4–8 h"), gettext_lazy("8–24 h"), gettext_lazy("24–80 h"),
    gettext_lazy("> 80 h"),
)  # fmt: skip
HISTOGRAM_SQL = "SELECT {} FROM timed".format(  # noqa: S608 — constant bounds only
    ", ".join(
        f"count(*) FILTER (WHERE answer_working >= {low} AND answer_working < {high})"
        for low, high in HISTOGRAM_BOUNDS
    )
)


def month_bounds(region: Region, year: int, month: int) -> tuple[datetime, datetime]:
    """[first day 00:00, first day of the next month 00:00) in the region's time zone."""
    zone = ZoneInfo(region.time_zone)
    start = datetime.combine(date(year, month, 1), time(), tzinfo=zone)
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, datetime.combine(following, time(), tzinfo=zone)


def previous_month(year: int, month: int, back: int = 1) -> tuple[int, int]:
    index = year * 12 + (month - 1) - back
    return index // 12, index % 12 + 1


def _working_periods(region: Region, start: datetime, end: datetime) -> dict[str, list]:
    """The working periods of every schedule the region's agencies use, as SQL array params.

    Schedule 0 is the region's default (default calendar, region time zone); each agency with
    another calendar or time zone maps to its own schedule number.
    """
    default = WorkCalendar.objects.filter(region=region, is_default=True).first()
    default_id = default.pk if default is not None else None
    schedules: dict[tuple[int | None, str], int] = {(default_id, region.time_zone): 0}
    agency_ids, agency_schedules = [], []
    agencies = Agency.objects.filter(region=region).values_list("id", "calendar_id", "time_zone")
    for agency_id, calendar_id, zone in agencies:
        key = (calendar_id or default_id, zone or region.time_zone)
        number = schedules.setdefault(key, len(schedules))
        if number:
            agency_ids.append(agency_id)
            agency_schedules.append(number)
    calendars = WorkCalendar.objects.in_bulk([key[0] for key in schedules if key[0] is not None])
    numbers, starts, ends = [], [], []
    for (calendar_id, zone), number in schedules.items():
        schedule = schedule_load(calendar=calendars.get(calendar_id), time_zone=zone)
        # A day either side: a schedule's local days need not line up with the region's.
        day = start.astimezone(schedule.zone).date() - timedelta(days=1)
        while datetime.combine(day, time(), tzinfo=schedule.zone) < end + timedelta(days=1):
            for period_start, period_end in schedule.periods_on(day):
                numbers.append(number)
                starts.append(max(period_start, start))
                ends.append(min(period_end, end))
            day += timedelta(days=1)
    kept = [index for index in range(len(starts)) if starts[index] < ends[index]]
    return {
        "agency_ids": agency_ids,
        "agency_schedules": agency_schedules,
        "period_schedules": [numbers[index] for index in kept],
        "period_starts": [starts[index] for index in kept],
        "period_ends": [ends[index] for index in kept],
    }


BASE = """
WITH base AS (
    SELECT s.id, s.channel, s.category_id, s.municipality_id, s.agency_id, s.received_at,
           s.reopened_count, s.is_mass_incident, s.closure,
           CASE WHEN s.reacted_at < %(end)s THEN s.reacted_at END AS reacted_at,
           CASE WHEN s.answered_at < %(end)s THEN s.answered_at END AS answered_at,
           s.reaction_due_at, s.answer_due_at,
           coalesce(m.schedule, 0) AS schedule,
           (SELECT e.to_status FROM signals_app_signalevent e
             WHERE e.signal_id = s.id AND e.to_status <> '' AND e.created_at < %(end)s
             ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS status_at_end
      FROM signals_app_signal s
      LEFT JOIN (SELECT unnest(%(agency_ids)s::bigint[]) AS agency_id,
                        unnest(%(agency_schedules)s::int[]) AS schedule) m
             ON m.agency_id = s.agency_id
     WHERE s.region_id = %(region)s AND s.received_at >= %(start)s AND s.received_at < %(end)s
       AND (%(municipality)s::bigint IS NULL OR s.municipality_id = %(municipality)s)
       AND (%(agency)s::bigint IS NULL OR s.agency_id = %(agency)s)
),
periods AS (
    SELECT unnest(%(period_schedules)s::int[]) AS schedule,
           unnest(%(period_starts)s::timestamptz[]) AS ps,
           unnest(%(period_ends)s::timestamptz[]) AS pe
),
timed AS (
    SELECT b.*,
           extract(epoch FROM b.reacted_at - b.received_at) AS reaction_calendar,
           extract(epoch FROM b.answered_at - b.received_at) AS answer_calendar,
           CASE WHEN b.reacted_at IS NOT NULL THEN
           (SELECT coalesce(sum(extract(epoch FROM least(p.pe, b.reacted_at)
                                              - greatest(p.ps, b.received_at))), 0)
              FROM periods p WHERE p.schedule = b.schedule AND p.ps < b.reacted_at AND p.pe > b.received_at)
           END AS reaction_working,
           CASE WHEN b.answered_at IS NOT NULL THEN
           (SELECT coalesce(sum(extract(epoch FROM least(p.pe, b.answered_at)
                                              - greatest(p.ps, b.received_at))), 0)
              FROM periods p WHERE p.schedule = b.schedule AND p.ps < b.answered_at AND p.pe > b.received_at)
           END AS answer_working
      FROM base b
)
"""


def _stats(column: str) -> str:
    return (
        f"avg({column}), "
        + ", ".join(
            f"percentile_cont({share}) WITHIN GROUP (ORDER BY {column})" for share in PERCENTILES
        )
        + f", count({column})"
    )


def _times(row: tuple) -> dict[str, float | int | None]:
    mean, median, p90, count = row
    return {
        "mean": round(float(mean), 1) if mean is not None else None,
        "median": round(float(median), 1) if median is not None else None,
        "p90": round(float(p90), 1) if p90 is not None else None,
        "count": count,
    }


# Within one generation the month's rows are computed once into a temporary table (the event
# lookups and working-time sums are the expensive part) and every breakdown reads that table.
MATERIALISED = """
WITH base AS (SELECT * FROM report_timed), timed AS (SELECT * FROM report_timed)
"""


def _fetch(sql: str, params: dict[str, Any], prefix: str = MATERIALISED) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return cursor.fetchall()


def monthly_figures(**kwargs: Any) -> dict[str, Any]:
    """Every figure of the monthly report (see the module docstring for the rules)."""
    with transaction.atomic():
        return _monthly_figures(**kwargs)


def _monthly_figures(
    *,
    region: Region,
    year: int,
    month: int,
    municipality_id: int | None = None,
    agency_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """`progress` is told the share done (per cent) as the steps finish."""
    step = progress or (lambda _share: None)
    start, end = month_bounds(region, year, month)
    params = {
        "region": region.pk, "start": start, "end": end, "municipality": municipality_id,
        "agency": agency_id, "open": list(OPEN_STATUSES),
        **_working_periods(region, start, end),
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS report_timed")
        cursor.execute(
            "CREATE TEMP TABLE report_timed ON COMMIT DROP AS " + BASE + " SELECT * FROM timed",  # noqa: S608 — constant text
            params,
        )
        cursor.execute("ANALYZE report_timed")
    step(40)
    totals = _fetch(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE answered_at IS NOT NULL),
               count(*) FILTER (WHERE status_at_end = 'closed'),
               count(*) FILTER (WHERE status_at_end = 'rejected'),
               count(*) FILTER (WHERE status_at_end = ANY(%(open)s)),
               count(*) FILTER (WHERE reopened_count > 0),
               count(*) FILTER (WHERE reaction_due_at IS NOT NULL
                                  AND (reacted_at IS NOT NULL OR reaction_due_at < %(end)s)),
               count(*) FILTER (WHERE reacted_at IS NOT NULL AND reacted_at <= reaction_due_at),
               count(*) FILTER (WHERE answer_due_at IS NOT NULL
                                  AND (answered_at IS NOT NULL OR answer_due_at < %(end)s)),
               count(*) FILTER (WHERE answered_at IS NOT NULL AND answered_at <= answer_due_at),
               count(*) FILTER (WHERE (reaction_due_at < coalesce(reacted_at, %(end)s))
                                   OR (answer_due_at < coalesce(answered_at, %(end)s))),
               count(*) FILTER (WHERE status_at_end = 'closed' AND closure = 'no_details'),
               {_stats("reaction_calendar")}, {_stats("reaction_working")},
               {_stats("answer_calendar")}, {_stats("answer_working")}
          FROM timed
        """,  # noqa: S608 — only the constant column names above are formatted in
        params,
    )[0]
    step(50)
    received = totals[0]
    figures: dict[str, Any] = {
        "period": {
            "year": year,
            "month": month,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "received": received,
        "answered": totals[1],
        "closed_at_end": totals[2],
        "rejected_at_end": totals[3],
        "open_at_end": totals[4],
        "reopened": totals[5],
        "reopened_share": _share(totals[5], received),
        "on_time": {
            "reaction": {"due": totals[6], "met": totals[7], "share": _share(totals[7], totals[6])},
            "answer": {"due": totals[8], "met": totals[9], "share": _share(totals[9], totals[8])},
        },
        "overdue": totals[10],
        "overdue_share": _share(totals[10], received),
        # Closed because the citizen never sent the details asked for: apart from answers.
        "closed_no_details": totals[11],
        "reaction_time": {
            "calendar": _times(totals[12:16]),
            "working": _times(totals[16:20]),
        },
        "answer_time": {
            "calendar": _times(totals[20:24]),
            "working": _times(totals[24:28]),
        },
    }
    figures["forwards"] = _forward_figures(params)
    figures["parts_by_agency"] = _part_figures(params)
    channels = dict(Channel.choices)
    figures["by_channel"] = [
        {"channel": code, "label": str(channels.get(code, code)), "count": count}
        for code, count in _fetch(
            "SELECT channel, count(*) FROM base GROUP BY channel ORDER BY 2 DESC, 1", params
        )
    ]
    figures["by_topic"] = [
        {"topic": topic, "subtopic": subtopic, "count": count}
        for topic, subtopic, count in _fetch(
            """
            SELECT coalesce(p.name, c.name, ''), CASE WHEN p.id IS NULL THEN '' ELSE c.name END,
                   count(*)
              FROM base b LEFT JOIN signals_app_category c ON c.id = b.category_id
              LEFT JOIN signals_app_category p ON p.id = c.parent_id
             GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
            """,
            params,
        )
    ]
    figures["by_municipality"] = [
        {"municipality": name, "count": count}
        for name, count in _fetch(
            """
            SELECT coalesce(m.name, ''), count(*) FROM base b
              LEFT JOIN agencies_municipality m ON m.id = b.municipality_id
             GROUP BY 1 ORDER BY 2 DESC, 1
            """,
            params,
        )
    ]
    figures["agencies"] = [
        {
            "agency": name, "short": short or name, "received": count, "answered": answered,
            "answer_due": due, "answer_met": met, "on_time_share": _share(met, due),
            "median_answer_working": round(float(median), 1) if median is not None else None,
        }
        for name, short, count, answered, due, met, median in _fetch(
            """
            SELECT coalesce(a.name, ''), max(a.short_name), count(*),
                   count(*) FILTER (WHERE answered_at IS NOT NULL),
                   count(*) FILTER (WHERE answer_due_at IS NOT NULL
                                      AND (answered_at IS NOT NULL OR answer_due_at < %(end)s)),
                   count(*) FILTER (WHERE answered_at IS NOT NULL AND answered_at <= answer_due_at),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY answer_working)
                     FILTER (WHERE answered_at IS NOT NULL)
              FROM timed t LEFT JOIN agencies_agency a ON a.id = t.agency_id
             WHERE t.agency_id IS NOT NULL
             GROUP BY 1 ORDER BY 3 DESC, 1
            """,
            params,
        )
    ]  # fmt: skip
    step(60)
    # One signal fixed in four minutes must not top a chart: an agency is ranked from
    # RANK_MIN answers due in the month.
    ranked = [row for row in figures["agencies"]
              if row["on_time_share"] is not None and row["answer_due"] >= RANK_MIN]  # fmt: skip
    figures["rank_min"] = RANK_MIN
    figures["worst_agencies"] = [
        row["agency"]
        for row in sorted(ranked, key=lambda row: (row["on_time_share"], -row["received"]))[:10]
    ]
    figures["escalations_by_level"] = [
        {"level": level, "count": count}
        for level, count in _fetch(
            """
            SELECT e.level, count(*) FROM signals_app_escalation e JOIN base b ON b.id = e.signal_id
             WHERE e.fired_at < %(end)s GROUP BY 1 ORDER BY 1
            """,
            params,
        )
    ]
    figures["mass_incidents"] = [
        {"number": number, "children": children}
        for number, children in _fetch(
            """
            SELECT s.number, (SELECT count(*) FROM signals_app_signal c WHERE c.parent_id = s.id)
              FROM base b JOIN signals_app_signal s ON s.id = b.id
             WHERE b.is_mass_incident ORDER BY 2 DESC, 1
            """,
            params,
        )
    ]
    figures["by_day"] = [
        {"date": day.isoformat(), "count": count}
        for day, count in _fetch(
            """
            SELECT (d AT TIME ZONE %(zone)s)::date, count(b.id)
              FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 day',
                                   interval '1 day') AS d
              LEFT JOIN base b ON b.received_at >= d AND b.received_at < d + interval '1 day'
             GROUP BY 1 ORDER BY 1
            """,
            {**params, "zone": region.time_zone},
        )
    ]
    figures["answer_histogram"] = [
        {"bucket": str(label), "count": count}
        for label, count in zip(
            HISTOGRAM_LABELS,
            _fetch(HISTOGRAM_SQL, params)[0],
            strict=True,
        )
    ]
    figures["citizens"] = citizen_figures(region, year, month, params)
    step(65)
    figures["top_topics"] = _top_topics(region, year, month, figures["by_topic"], params)
    step(70)
    figures["status_labels"] = {status.value: str(status.label) for status in Status}
    return figures


# --- what the citizens said --------------------------------------------------------------

# An agency, topic or municipality is ranked by the citizens' answers from this many answers
# (and by on-time answers from this many due): below it a share says little.
RANK_MIN = 10

CITIZEN_SQL = """
SELECT {group},
       count(*) FILTER (WHERE v.state <> 'not_asked'),
       count(*) FILTER (WHERE v.state = 'not_asked'),
       count(*) FILTER (WHERE v.answered_at < %(end)s),
       count(*) FILTER (WHERE v.answered_at < %(end)s AND v.solved),
       count(*) FILTER (WHERE v.answered_at < %(end)s AND NOT v.solved),
       count(r.id) FILTER (WHERE r.state = 'confirmed' AND r.decided_at < %(end)s)
  FROM signals_app_survey v
  JOIN signals_app_signal s ON s.id = v.signal_id
  LEFT JOIN signals_app_reopenrequest r ON r.survey_id = v.id
  {joins}
 WHERE s.region_id = %(region)s AND s.received_at >= %(start)s AND s.received_at < %(end)s
   AND v.asked_at < %(end)s
   AND (%(municipality)s::bigint IS NULL OR s.municipality_id = %(municipality)s)
   AND (%(agency)s::bigint IS NULL OR s.agency_id = %(agency)s)
 GROUP BY 1 ORDER BY 4 DESC, 1
"""
_GROUPS = {
    "all": ("''", ""),
    "agency": ("coalesce(a.name, '')", "LEFT JOIN agencies_agency a ON a.id = s.agency_id"),
    "topic": (
        "coalesce(p.name, c.name, '')",
        "LEFT JOIN signals_app_category c ON c.id = s.category_id "
        "LEFT JOIN signals_app_category p ON p.id = c.parent_id",
    ),
    "municipality": (
        "coalesce(m.name, '')",
        "LEFT JOIN agencies_municipality m ON m.id = s.municipality_id",
    ),
}


def _citizen_rows(group: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    expression, joins = _GROUPS[group]
    sql = CITIZEN_SQL.format(group=expression, joins=joins)
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for name, asked, not_asked, answered, solved, not_solved, confirmed in cursor.fetchall():
            rows.append({
                "name": name, "asked": asked, "not_asked": not_asked, "answered": answered,
                "solved": solved, "not_solved": not_solved, "confirmed": confirmed,
                "satisfaction_share": _share(solved, answered),
                "reopen_request_share": _share(not_solved, answered),
                "confirmed_share": _share(confirmed, answered),
                "ranked": answered >= RANK_MIN,
            })  # fmt: skip
    return rows


def _citizen_totals(params: dict[str, Any]) -> dict[str, Any]:
    rows = _citizen_rows("all", params)
    if rows:
        return {key: value for key, value in rows[0].items() if key not in ("name", "ranked")}
    empty = dict.fromkeys(("asked", "not_asked", "answered", "solved", "not_solved",
                           "confirmed"), 0)  # fmt: skip
    return empty | dict.fromkeys(("satisfaction_share", "reopen_request_share",
                                  "confirmed_share"))  # fmt: skip


def citizen_figures(region: Region, year: int, month: int, params: dict[str, Any]) -> dict:
    """«Проблема решена?» for the signals received in the month: asked, answered, solved, the
    reopen requests and the confirmed ones, per agency, topic and municipality, with last
    month and a year ago. Rankings (best and worst satisfaction) take only those with
    RANK_MIN answers."""
    totals = _citizen_totals(params)
    before = {}
    for key, (other_year, other_month) in (
        ("previous_month", previous_month(year, month)), ("year_ago", (year - 1, month)),
    ):  # fmt: skip
        start, end = month_bounds(region, other_year, other_month)
        before[key] = _citizen_totals(params | {"start": start, "end": end})
    by_agency = _citizen_rows("agency", params)
    ranked = sorted((row for row in by_agency if row["ranked"] and row["name"]),
                    key=lambda row: (row["satisfaction_share"], -row["answered"]))  # fmt: skip
    return {
        **totals, **before,
        "by_agency": by_agency,
        "by_topic": _citizen_rows("topic", params),
        "by_municipality": _citizen_rows("municipality", params),
        "least_satisfied": [row["name"] for row in ranked[:5]],
        "most_satisfied": [row["name"] for row in reversed(ranked[-5:])],
        "rank_min": RANK_MIN,
    }  # fmt: skip


def _topic_counts(region: Region, year: int, month: int, params: dict[str, Any]) -> dict[str, int]:
    start, end = month_bounds(region, year, month)
    rows = _fetch(
        """
        SELECT coalesce(p.name, c.name, ''), count(*) FROM base b
          LEFT JOIN signals_app_category c ON c.id = b.category_id
          LEFT JOIN signals_app_category p ON p.id = c.parent_id
         GROUP BY 1
        """,
        {**params, "start": start, "end": end},
        prefix=BASE,
    )
    return dict(rows)


def _top_topics(
    region: Region, year: int, month: int, by_topic: list[dict], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The ten biggest topics with their change against last month and a year ago."""
    totals: dict[str, int] = {}
    for row in by_topic:
        totals[row["topic"]] = totals.get(row["topic"], 0) + row["count"]
    before = _topic_counts(region, *previous_month(year, month), params)
    year_ago = _topic_counts(region, year - 1, month, params)
    top = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:10]
    # A month with no signals at all is no data (the system was not used yet), not a zero.
    return [
        {
            "topic": topic, "count": count,
            "previous_month": before.get(topic, 0) if before else None,
            "change": _change(count, before.get(topic)),
            "year_ago": year_ago.get(topic, 0) if year_ago else None,
            "change_year": _change(count, year_ago.get(topic)),
        }
        for topic, count in top
    ]  # fmt: skip


def _forward_figures(params: dict[str, Any]) -> dict[str, Any]:
    """Signals forwarded to outside bodies in the month: how many, answered by the month's
    end, answered within their deadline, and late (past the deadline without an answer, or
    answered after it)."""
    from django.db.models import Count, F, Q

    from signals_app.models import Forward

    rows = Forward.objects.filter(
        signal__region_id=params["region"],
        forwarded_at__gte=params["start"], forwarded_at__lt=params["end"],
    )  # fmt: skip
    if params.get("municipality"):
        rows = rows.filter(signal__municipality_id=params["municipality"])
    if params.get("agency"):
        rows = rows.filter(signal__agency_id=params["agency"])
    end = params["end"]
    answered = Q(answered_at__isnull=False, answered_at__lt=end)
    found = rows.aggregate(
        sent=Count("pk"),
        answered=Count("pk", filter=answered),
        in_time=Count("pk", filter=answered & Q(answered_at__lte=F("due_at"))),
        late=Count("pk", filter=Q(due_at__lt=end) & (~answered | Q(answered_at__gt=F("due_at")))),
    )
    return found | {"in_time_share": _share(found["in_time"], found["answered"])}


def _part_figures(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The co-executors' parts given in the month, per co-executor agency: given, answered by
    the month's end, answered within their deadline, late (answered after it, or still open
    past it) — each agency's own work, beside the lead's figures."""
    from django.db.models import Count, F, Q

    from signals_app.models import SignalPart

    rows = SignalPart.objects.filter(
        signal__region_id=params["region"],
        created_at__gte=params["start"], created_at__lt=params["end"],
    )  # fmt: skip
    if params.get("municipality"):
        rows = rows.filter(signal__municipality_id=params["municipality"])
    if params.get("agency"):
        rows = rows.filter(agency_id=params["agency"])
    end = params["end"]
    answered = Q(state="done", ended_at__lt=end)
    grouped = (
        rows.values("agency_id", "agency__name")
        .annotate(
            given=Count("pk"),
            answered=Count("pk", filter=answered),
            in_time=Count("pk", filter=answered & Q(ended_at__lte=F("due_at"))),
            late=Count(
                "pk",
                filter=Q(due_at__lt=end)
                & ~Q(state="closed")
                & (~answered | Q(ended_at__gt=F("due_at"))),
            ),
        )
        .order_by("-given", "agency__name")
    )
    return [
        {"agency_id": row["agency_id"], "name": row["agency__name"], "given": row["given"],
         "answered": row["answered"], "in_time": row["in_time"], "late": row["late"],
         "in_time_share": _share(row["in_time"], row["answered"])}
        for row in grouped
    ]  # fmt: skip


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _change(now: int, before: int | None) -> float | None:
    return round((now - before) / before, 4) if before else None
