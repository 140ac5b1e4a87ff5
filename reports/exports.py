"""Files of a generated report: the XLSX workbook of its frozen figures, and the CSV list of
the signals behind it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from io import BytesIO
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from reports.figures import month_bounds
from reports.models import Report
from signals_app.choices import Channel, Status
from signals_app.models import Signal
from signals_app.spreadsheets import (
    CSV_DELIMITER,
    csv_row,
    moment_text,
    pdf_of,
    sheet_add,
)

PERCENT = "0.0%"
HOURS = "0.0"


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: a cover sheet, then one sheet per breakdown (real numbers)."""
    figures = report.figures
    workbook = Workbook()
    cover = workbook.active
    cover.title = _("Report")
    scope = (
        report.municipality.name if report.municipality
        else report.agency.name if report.agency else _("whole region")
    )  # fmt: skip
    for label, value in [
        (_("Region"), report.region.name),
        (_("Month"), f"{report.month:02d}.{report.year}"),
        (_("Scope"), scope),
        (_("Version"), report.version),
        (_("generated at"), timezone.localtime(report.generated_at).replace(tzinfo=None)
         if report.generated_at else None),
        (_("requested by"), report.requested_by.username if report.requested_by else _("schedule")),
    ]:  # fmt: skip
        cover.append([label, value])
    cover["B5"].number_format = "DD.MM.YYYY HH:MM"
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 48
    for cell in cover["A"]:
        cell.font = Font(bold=True)

    totals = [
        (_("Received"), figures["received"], None),
        (_("Answered signals"), figures["answered"], None),
        (_("Closed at month end"), figures["closed_at_end"], None),
        (_("Rejected signals"), figures["rejected_at_end"], None),
        (_("Still open at month end"), figures["open_at_end"], None),
        (_("Overdue signals"), figures["overdue"], figures["overdue_share"]),
        (_("Reopened signals"), figures["reopened"], figures["reopened_share"]),
        (_("Closed: details not received"), figures.get("closed_no_details"), None),
        (_("Forwarded to outside bodies"), (figures.get("forwards") or {}).get("sent"), None),
        (_("Outside bodies answered in time"), (figures.get("forwards") or {}).get("in_time"),
         (figures.get("forwards") or {}).get("in_time_share")),
        (_("On time: reaction"), figures["on_time"]["reaction"]["met"], figures["on_time"]["reaction"]["share"]),
        (_("On time: answer"), figures["on_time"]["answer"]["met"], figures["on_time"]["answer"]["share"]),
    ]  # fmt: skip
    sheet_add(workbook, _("Totals"), [_("Figure"), _("Signals"), _("Share")],
           [list(row) for row in totals], {3: PERCENT})  # fmt: skip
    parts = figures.get("parts_by_agency") or []
    if parts:
        sheet_add(workbook, _("Co-executors"),
               [_("Agency"), _("Given"), _("Answered"), _("In time"), _("Late"), _("Share")],
               [[row["name"], row["given"], row["answered"], row["in_time"], row["late"],
                 row["in_time_share"]] for row in parts], {6: PERCENT})  # fmt: skip
    times = []
    for kind, label in (("reaction_time", _("Reaction")), ("answer_time", _("Answer"))):
        for clock, clock_label in (
            ("working", _("working time")),
            ("calendar", _("calendar time")),
        ):
            stats = figures[kind][clock]
            times.append([f"{label}, {clock_label}", _hours(stats["mean"]), _hours(stats["median"]),
                          _hours(stats["p90"]), stats["count"]])  # fmt: skip
    sheet_add(workbook, _("Times, hours"),
           [_("Time"), _("mean"), _("median"), _("90th percentile"), _("signals")], times,
           {2: HOURS, 3: HOURS, 4: HOURS})  # fmt: skip
    sheet_add(workbook, _("Channels"), [_("Channel"), _("Signals")],
           [[row["label"], row["count"]] for row in figures["by_channel"]])  # fmt: skip
    sheet_add(workbook, _("Topics"), [_("Topic"), _("Subtopic"), _("Signals")],
           [[row["topic"], row["subtopic"], row["count"]] for row in figures["by_topic"]])  # fmt: skip
    sheet_add(workbook, _("Top topics"),
           [_("Topic"), _("Signals"), _("Previous month"), _("Change (share)"), _("A year ago"),
            _("Change (share)")],
           [[r["topic"], r["count"], r["previous_month"], r["change"], r["year_ago"], r["change_year"]]
            for r in figures["top_topics"]], {4: PERCENT, 6: PERCENT})  # fmt: skip
    sheet_add(workbook, _("Municipalities"), [_("Municipality"), _("Signals")],
           [[row["municipality"], row["count"]] for row in figures["by_municipality"]])  # fmt: skip
    sheet_add(workbook, _("Agencies"),
           [_("Agency"), _("Signals"), _("Answered"), _("On time"), _("Median answer, working hours")],
           [[r["agency"], r["received"], r["answered"], r["on_time_share"],
             _hours(r["median_answer_working"])] for r in figures["agencies"]],
           {4: PERCENT, 5: HOURS})  # fmt: skip
    citizens = figures.get("citizens")
    if citizens:
        rows = [[_("Total"), citizens["asked"], citizens["answered"],
                 citizens["satisfaction_share"], citizens["reopen_request_share"],
                 citizens["confirmed_share"], True]]  # fmt: skip
        for key, label in (("previous_month", _("Previous month")), ("year_ago", _("A year ago"))):
            other = citizens[key]
            rows.append([label, other["asked"], other["answered"], other["satisfaction_share"],
                         other["reopen_request_share"], other["confirmed_share"], True])  # fmt: skip
        for group, label in (("by_agency", _("Agency")), ("by_topic", _("Topic")),
                             ("by_municipality", _("Municipality"))):  # fmt: skip
            rows += [[f"{label}: {row['name'] or '—'}", row["asked"], row["answered"],
                      row["satisfaction_share"], row["reopen_request_share"],
                      row["confirmed_share"], row["ranked"]] for row in citizens[group]]  # fmt: skip
        for row in rows:
            row[-1] = _("yes") if row[-1] else _("no")
        sheet_add(workbook, _("Is it solved"),
               [_("Scope"), _("Asked"), _("Answered"), _("Solved, share"),
                _("Reopen requested, share"), _("Reopening confirmed, share"), _("Ranked")],
               rows, {4: PERCENT, 5: PERCENT, 6: PERCENT})  # fmt: skip
    sheet_add(workbook, _("Escalations"), [_("Level"), _("Signals")],
           [[row["level"], row["count"]] for row in figures["escalations_by_level"]])  # fmt: skip
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Echo:
    def write(self, value: str) -> str:
        return value


def report_signals_csv(report: Report) -> Iterator[str]:
    """The signals of the report's month and scope (no personal data), read in chunks so the
    memory stays flat whatever the month's size. Written once when the report is generated."""
    start, end = month_bounds(report.region, report.year, report.month)
    rows = Signal.objects.filter(region=report.region, received_at__gte=start, received_at__lt=end)
    if report.municipality_id:
        rows = rows.filter(municipality_id=report.municipality_id)
    if report.agency_id:
        rows = rows.filter(agency_id=report.agency_id)
    rows = rows.order_by("received_at", "id").values_list(
        "number", "received_at", "channel", "category__name", "municipality__name",
        "agency__name", "status", "reacted_at", "answered_at",
    )  # fmt: skip
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER)
    zone = ZoneInfo(report.region.time_zone)
    channel_names, status_names = dict(Channel.choices), dict(Status.choices)
    yield "\ufeff"  # Excel opens UTF-8 with a BOM as UTF-8
    yield writer.writerow([
        _("Number"), _("Received"), _("Channel"), _("Category"), _("Municipality"), _("Agency"),
        _("Status"), _("reacted at"), _("answered at"),
    ])  # fmt: skip
    for (
        number,
        received,
        channel,
        category,
        place,
        agency,
        status,
        reacted,
        answered,
    ) in rows.iterator(chunk_size=2000):
        yield writer.writerow(csv_row([
            number, moment_text(received, zone), str(channel_names.get(channel, channel)),
            category, place, agency, str(status_names.get(status, status)),
            moment_text(reacted, zone), moment_text(answered, zone),
        ]))  # fmt: skip


def report_print_html(report: Report) -> str:
    """The printable report's page: tables whose rows never split and whose headers repeat."""
    from django.template.loader import render_to_string

    from reports.charts import report_charts

    return render_to_string(
        "reports/report_print.html", {"report": report, "charts": report_charts(report.figures)}
    )


def report_pdf(report: Report) -> bytes:
    """The printable report (the same SVG charts), fonts embedded by WeasyPrint."""
    return pdf_of(report_print_html(report))
