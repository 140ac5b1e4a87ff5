"""The monthly report against a small data set computed by hand (November 2026, Asia/Yekaterinburg:
4 November is a public holiday, 7–8 November a weekend; the standard week: Mon–Thu 09:00–18:00,
Fri 09:00–16:45, lunch 13:00–13:48)."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from agencies.models import CalendarDay
from agencies.services import calendar_default_for_region
from reports.figures import monthly_figures
from reports.models import Report
from reports.selectors import previous_version, report_diff
from reports.services import report_generate, report_request
from signals_app.choices import Status
from signals_app.errors import ActionForbidden, InvalidInput
from signals_app.models import Signal
from signals_app.workflow import services
from tests.factories import SignalFactory
from tests.signals_app.helpers import drive

ZONE = ZoneInfo("Asia/Yekaterinburg")


def local(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZONE)


@pytest.fixture
def november(region, agency, analyst, executor, category, source):
    """The month's signals, driven through the workflow on the last day of November (the
    moves are stamped with the clock: driven later, the rejection would fall after the month)."""
    with time_machine.travel(local(30, 12), tick=False):
        return _november(region, agency, analyst, executor, category, source)


def _november(region, agency, analyst, executor, category, source):
    calendar = calendar_default_for_region(region=region)
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 11, 4), kind="holiday")
    answered = {
        # received → answered; working time by hand, calendar time in seconds
        "weekend": (local(6, 16), local(9, 10)),  # Fri 16:00–16:45 + Mon 09:00–10:00 = 6,300 s
        "holiday": (local(3, 17), local(5, 10)),  # Tue 17:00–18:00 + Thu 09:00–10:00 = 7,200 s
        "lunch": (local(11, 12), local(12, 12)),  # 1 h + 4 h 12 min + 3 h = 29,520 s
    }
    signals = {}
    for name, (received, done) in answered.items():
        signal = SignalFactory(
            region=region, source=source, category=category, received_at=received
        )
        drive(signal, Status.ANSWERED, analyst=analyst, executor=executor, agency=agency)
        Signal.objects.filter(pk=signal.pk).update(reacted_at=done, answered_at=done)
        signals[name] = signal
    signals["rejected"] = SignalFactory(region=region, received_at=local(20, 10))
    drive(signals["rejected"], Status.REJECTED, analyst=analyst, executor=executor, agency=agency)
    signals["open"] = SignalFactory(region=region, channel="telegram", received_at=local(25, 10))
    signals["october"] = SignalFactory(region=region, received_at=local(30, 10, month=10))
    return signals


def test_figures_match_the_hand_computation(region, november):
    figures = monthly_figures(region=region, year=2026, month=11)
    assert figures["received"] == 5
    assert figures["answered"] == 3
    assert figures["rejected_at_end"] == 1
    assert figures["open_at_end"] == 1
    assert figures["closed_at_end"] == 0
    working = figures["answer_time"]["working"]
    assert working == {"mean": 14340.0, "median": 7200.0, "p90": 25056.0, "count": 3}
    calendar = figures["answer_time"]["calendar"]
    assert calendar == {"mean": 157200.0, "median": 147600.0, "p90": 219600.0, "count": 3}
    assert figures["reaction_time"]["working"]["median"] == 7200.0
    assert {row["channel"]: row["count"] for row in figures["by_channel"]} == {
        "vk": 4,
        "telegram": 1,
    }
    assert figures["by_topic"][0] == {"topic": "ЖКХ", "subtopic": "Водоснабжение", "count": 3}
    assert (
        figures["top_topics"][0]["topic"] == "ЖКХ"
        and figures["top_topics"][0]["previous_month"] == 0
    )
    assert figures["agencies"][0]["answered"] == 3
    assert figures["reopened"] == 0 and figures["reopened_share"] == 0.0
    days = {row["date"]: row["count"] for row in figures["by_day"]}
    assert len(days) == 30 and days["2026-11-03"] == 1 and days["2026-11-06"] == 1
    assert sum(days.values()) == 5
    histogram = {row["bucket"]: row["count"] for row in figures["answer_histogram"]}
    assert histogram == {"< 1 раб. ч": 0, "1–4 раб. ч": 2, "4–8 раб. ч": 0, "8–24 раб. ч": 1,
                         "24–80 раб. ч": 0, "> 80 раб. ч": 0}  # fmt: skip


def test_working_time_counts_in_the_agency_s_own_calendar_and_time_zone(
    region, november, other_agency, source
):
    """An agency with its own calendar (every day 08:00–20:00) in Moscow time: a signal received
    on Saturday 7 November at 09:00 Yekaterinburg (07:00 Moscow) and answered at 12:00 (10:00
    Moscow) took 08:00–10:00 Moscow = 7,200 working seconds; the region's calendar would give 0
    (a weekend) and the agency's calendar in the region's zone 10,800."""
    from agencies.models import WorkCalendar, WorkingPeriod

    own = WorkCalendar.objects.create(region=region, name="Диспетчерская")
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=own, weekday=day, start="08:00", end="20:00") for day in range(7)
    )
    other_agency.calendar = own
    other_agency.time_zone = "Europe/Moscow"
    other_agency.save()
    signal = SignalFactory(region=region, source=source, received_at=local(7, 9))
    Signal.objects.filter(pk=signal.pk).update(
        agency=other_agency, reacted_at=local(7, 12), answered_at=local(7, 12)
    )
    figures = monthly_figures(region=region, year=2026, month=11, agency_id=other_agency.pk)
    assert figures["answer_time"]["working"] == {
        "mean": 7200.0, "median": 7200.0, "p90": 7200.0, "count": 1,
    }  # fmt: skip
    # The rest of the region keeps its own calendar: the hand-computed medians do not move.
    assert (
        monthly_figures(region=region, year=2026, month=11)["answer_time"]["working"]["median"]
        == 7200.0
    )


def test_a_municipality_or_agency_narrows_the_figures(region, november, agency, other_agency):
    assert monthly_figures(region=region, year=2026, month=11, agency_id=agency.pk)["received"] == 3
    assert (
        monthly_figures(region=region, year=2026, month=11, agency_id=other_agency.pk)["received"]
        == 0
    )


def test_the_snapshot_stays_when_an_old_signal_is_edited(
    region, november, analyst, category, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(region=region, year=2026, month=11, actor=analyst)
    report.refresh_from_db()
    assert report.state == Report.State.DONE and report.version == 1
    frozen = dict(report.figures)
    services.signal_change_category(signal=november["open"], category=category, actor=analyst)
    report.refresh_from_db()
    assert report.figures == frozen
    # The files were written with the figures and stay as they were too.
    assert report.xlsx_file and report.pdf_file and report.signals_file
    frozen_csv = report.signals_file.read().decode("utf-8-sig")
    assert "Водоснабжение" in frozen_csv and frozen_csv.count("\n") == 6
    with django_capture_on_commit_callbacks(execute=True):
        again = report_request(region=region, year=2026, month=11, actor=analyst)
    again.refresh_from_db()
    assert again.version == 2 and again.figures != frozen
    assert previous_version(again) == report
    changed = {key: (before, now) for key, before, now in report_diff(again, report)}
    assert changed["by_topic[ЖКХ / Водоснабжение].count"] == (3, 4)
    assert again.signals_file.read().decode("utf-8-sig").count("Водоснабжение") == 4
    assert report.signals_file.open().read().decode("utf-8-sig") == frozen_csv


def test_the_progress_bar_follows_the_running_generation(client, region, supervisor):
    from django.core.cache import cache

    from reports.services import progress_key

    report = report_request(region=region, year=2026, month=10, actor=supervisor)
    Report.objects.filter(pk=report.pk).update(state=Report.State.RUNNING, progress=10)
    cache.set(progress_key(report.pk), 65)
    client.force_login(supervisor)
    try:
        response = client.get(
            reverse("reports:report_detail", args=[report.pk]), HTTP_HX_REQUEST="true"
        )
    finally:
        cache.delete(progress_key(report.pk))
    body = response.content.decode()
    assert '<progress max="100" value="65"' in body and "65%" in body
    assert 'hx-trigger="every 2s"' in body
    Report.objects.filter(pk=report.pk).update(state=Report.State.FAILED, error="Нет данных")
    done = client.get(reverse("reports:report_detail", args=[report.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"  # no extra «Показать»


def test_a_year_ago_without_data_is_no_data_not_zero(region, november, analyst):
    report = report_request(region=region, year=2026, month=11, actor=analyst)
    report_generate(report_id=report.pk)
    report.refresh_from_db()
    [first, *_rest] = report.figures["top_topics"]
    assert first["year_ago"] is None and first["change_year"] is None
    assert report.figures["answer_histogram"][0]["bucket"] == "< 1 раб. ч"
    from reports.exports import report_print_html

    html = report_print_html(report)
    assert "<thead>" in html and "break-inside: avoid" in html and "—" in html


def test_generation_is_idempotent(region, november, analyst):
    report = report_request(region=region, year=2026, month=11, actor=analyst)
    assert report_generate(report_id=report.pk) is not None
    generated = Report.objects.get(pk=report.pk).generated_at
    assert report_generate(report_id=report.pk) is None
    assert Report.objects.get(pk=report.pk).generated_at == generated


def test_who_may_request_and_what_is_refused(
    region, other_region, executor, foreign_analyst, supervisor
):
    with pytest.raises(ActionForbidden):
        report_request(region=region, year=2026, month=10, actor=executor)
    with pytest.raises(ActionForbidden):
        report_request(region=region, year=2026, month=10, actor=foreign_analyst)
    with pytest.raises(InvalidInput):
        report_request(region=region, year=2027, month=5, actor=supervisor)
    assert not Report.objects.exists()
    assert report_request(region=region, year=2026, month=10, actor=supervisor).version == 1


def test_report_pages(
    client, region, november, supervisor, executor, foreign_analyst, eager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_list"), {"region": region.pk, "month": "2026-11"}
        )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/reports/{report.pk}/")
    body = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert "Поступило" in body and "ЖКХ" in body
    bad = client.post(reverse("reports:report_list"), {"region": region.pk, "month": "junk"})
    assert bad.status_code == 400
    client.force_login(executor)
    assert client.get(reverse("reports:report_list")).status_code == 403
    client.force_login(foreign_analyst)
    assert client.get(reverse("reports:report_detail", args=[report.pk])).status_code == 404


def test_scheduled_generation_at_six_local_for_two_time_zones(
    region, supervisor, eager, django_capture_on_commit_callbacks, mailoutbox, settings
):
    from datetime import UTC

    from reports.services import reports_schedule_due
    from tests.factories import RegionFactory

    settings.SITE_URL = "https://cur.example.org"
    supervisor.email = "chief@example.org"
    supervisor.save(update_fields=["email"])
    far_east = RegionFactory(code="25", name="Приморский край", time_zone="Asia/Vladivostok")
    # 1 December 01:30 UTC: 06:30 in Yekaterinburg (UTC+5), 11:30 in Vladivostok (UTC+10).
    with django_capture_on_commit_callbacks(execute=True):
        made = reports_schedule_due(now=datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
    assert [(r.region_id, r.year, r.month) for r in made] == [(region.pk, 2026, 11)]
    assert Report.objects.get(region=region).state == Report.State.DONE
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["chief@example.org"]
    assert f"https://cur.example.org/reports/{made[0].pk}/" in mailoutbox[0].body
    # Again within the hour: nothing new.
    assert reports_schedule_due(now=datetime(2026, 12, 1, 1, 50, tzinfo=UTC)) == []
    # 30 November 20:30 UTC: 06:30 on 1 December in Vladivostok, still November in Yekaterinburg.
    made = reports_schedule_due(now=datetime(2026, 11, 30, 20, 30, tzinfo=UTC))
    assert [(r.region_id, r.month) for r in made] == [(far_east.pk, 11)]
    # Any other hour: nothing.
    assert reports_schedule_due(now=datetime(2026, 12, 1, 3, 30, tzinfo=UTC)) == []


def test_xlsx_has_typed_cells_and_the_csv_lists_the_signals(
    client, region, november, supervisor, executor, eager, django_capture_on_commit_callbacks
):
    from io import BytesIO

    from openpyxl import load_workbook

    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(region=region, year=2026, month=11, actor=supervisor)
    client.force_login(supervisor)
    response = client.get(reverse("reports:report_xlsx", args=[report.pk]))
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[0] == "Отчёт"
    totals = workbook["Итоги"]
    assert totals["A2"].value == "Поступило" and totals["B2"].value == 5
    assert isinstance(totals["B2"].value, int) and totals.freeze_panes == "A2"
    times = workbook["Время, часы"]
    assert times["C2"].value == 2.0 and times["C2"].number_format == "0.0"  # 7,200 s
    assert totals["A8"].value == "Переоткрыто" and totals["C8"].value == 0.0
    assert totals["C8"].number_format == "0.0%"
    assert workbook["Ведомства"]["B2"].value == 3
    response = client.get(reverse("reports:report_signals", args=[report.pk]))
    body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 6  # header + 5 signals of November
    assert november["weekend"].number in body and november["october"].number not in body
    assert "Иван" not in body  # no personal data
    header, first = body.lstrip("\ufeff").splitlines()[:2]
    assert header.startswith("Номер;Поступило;Канал;")  # «;» for Russian Excel
    cells = first.split(";")
    assert re.fullmatch(r"\d{2}\.\d{2}\.2026 \d{2}:\d{2}", cells[1])  # local time, not UTC ISO
    assert cells[2] == "ВКонтакте" and cells[6] in {"Новый", "В работе", "Закрыт", "Ответ дан"}
    client.force_login(executor)
    assert client.get(reverse("reports:report_xlsx", args=[report.pk])).status_code == 404


def test_charts_are_svg_with_escaped_labels():
    from reports.charts import columns, report_charts, rows

    assert columns([], title="x") == ""
    svg = rows([("<script>", 0.25)], title="t", percent=True, low_is_bad=True)
    assert svg.startswith("<svg") and "&lt;script&gt;" in svg and "<script>" not in svg
    assert "25 %" in svg and "#a12727" in svg  # a low share is drawn red
    charts = report_charts(
        {"by_day": [{"date": "2026-11-01", "count": 3}], "by_topic": [], "agencies": [],
         "answer_histogram": [{"bucket": "< 1 h", "count": 2}]}
    )  # fmt: skip
    assert charts["by_day"].count("<rect") == 1 and charts["topics"] == ""


def test_pdf_renders_with_extractable_cyrillic_text(
    client, region, november, supervisor, eager, django_capture_on_commit_callbacks
):
    from io import BytesIO

    from pypdf import PdfReader

    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(region=region, year=2026, month=11, actor=supervisor)
    client.force_login(supervisor)
    response = client.get(reverse("reports:report_pdf", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(b"".join(response.streaming_content)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Челябинская область" in text and "Поступило" in text and "ЖКХ" in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts  # the fonts travel inside the file


def test_report_list_query_count_does_not_grow(client, region, supervisor, analyst):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor)
    counts = []
    for months in ((10,), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        for month in months:
            report_request(region=region, year=2026, month=month, actor=analyst)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("reports:report_list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_report_without_stored_files_renders_them_from_its_frozen_figures(
    client, region, november, supervisor, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(region=region, year=2026, month=11, actor=supervisor)
    Report.objects.filter(pk=report.pk).update(xlsx_file="", pdf_file="", signals_file="")
    client.force_login(supervisor)
    for name, start in (("report_xlsx", b"PK"), ("report_pdf", b"%PDF"), ("report_signals", b"")):
        response = client.get(reverse(f"reports:{name}", args=[report.pk]))
        body = response.content if not response.streaming else b"".join(response.streaming_content)
        assert response.status_code == 200 and body.startswith(start) and len(body) > 100
        assert "attachment;" in response["Content-Disposition"]


def test_chart_labels_fit_before_their_bars_with_the_whole_name_on_hover():
    from reports.charts import report_charts

    long = "Министерство информационных технологий и связи Челябинской области"
    charts = report_charts({"agencies": [
        {"agency": long, "short": "Минцифры", "received": 5, "on_time_share": 0.8},
        {"agency": long + " (2)", "received": 3, "on_time_share": 0.5},
    ]})  # fmt: skip
    svg = str(charts["on_time"])
    assert "<title>Минцифры</title>Минцифры</text>" in svg  # the short name where there is one
    assert f"<title>{long} (2)</title>Министерство информационных…</text>" in svg
