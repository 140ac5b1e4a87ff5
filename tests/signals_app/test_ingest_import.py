"""File imports of platform exports: encodings, delimiters, XLSX, mapping, report, re-import."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from signals_app.ingest import imports
from signals_app.models import ImportJob, InboundMessage, Signal
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

CSV_ROWS = [
    ["Номер", "Текст обращения", "Дата создания", "Автор", "Адрес"],
    ["P-1", "Нет горячей воды в доме", "28.11.2026 10:15", "Иван Петров", "ул. Ленина, 5"],
    ["P-2", "", "28.11.2026 11:00", "Пётр", ""],
    ["P-3", "Яма на дороге у школы", "вчера", "", ""],
    ["P-4", "Не вывозят мусор;\nвторую неделю", "2026-11-28T12:00:00+05:00", "", "Кирова, 10"],
]


@pytest.fixture
def pos_source(region):
    return SourceFactory(region=region, slug="pos-file", channel="pos")


def csv_bytes(rows, *, delimiter=";", encoding="utf-8"):
    out = io.StringIO()
    import csv

    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def run_import(source, raw, name="export.csv"):
    job = imports.import_create(source=source, upload=ContentFile(raw), file_name=name, actor=None)
    imports.import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ";"), ("utf-8-sig", ","), ("cp1251", ";"), ("cp1251", ",")],
)
def test_csv_in_every_encoding_and_delimiter(pos_source, encoding, delimiter):
    job = run_import(pos_source, csv_bytes(CSV_ROWS, delimiter=delimiter, encoding=encoding))

    assert job.state == ImportJob.State.DONE
    assert (job.total_rows, job.imported, job.duplicates, job.rejected) == (4, 2, 0, 2)
    assert job.rejected_rows[0]["line"] == 3 and job.rejected_rows[0]["reason"].startswith("text:")
    assert job.rejected_rows[1]["line"] == 4 and "вчера" in job.rejected_rows[1]["reason"]
    stored = InboundMessage.objects.get(source=pos_source, external_id="P-1")
    assert stored.payload["text"] == "Нет горячей воды в доме"
    assert stored.payload["author"] == {"name": "Иван Петров"}
    # A time without an offset is the region's local time (Asia/Yekaterinburg, UTC+5).
    assert stored.payload["posted_at"] == "2026-11-28T10:15:00+05:00"
    multiline = InboundMessage.objects.get(source=pos_source, external_id="P-4")
    assert multiline.payload["text"] == "Не вывозят мусор;\nвторую неделю"


def test_rows_become_signals_and_a_reimport_creates_nothing(
    pos_source, eager, django_capture_on_commit_callbacks
):
    raw = csv_bytes(CSV_ROWS)
    with django_capture_on_commit_callbacks(execute=True):
        first = run_import(pos_source, raw)
    signal = Signal.objects.get(source=pos_source, external_id="P-1")
    assert signal.text == "Нет горячей воды в доме"
    assert signal.author_name == "Иван Петров"
    assert signal.address == "ул. Ленина, 5"
    assert signal.channel == "pos"
    assert first.imported == 2

    with django_capture_on_commit_callbacks(execute=True):
        again = run_import(pos_source, raw)
    assert (again.imported, again.duplicates, again.rejected) == (0, 2, 2)
    assert Signal.objects.filter(source=pos_source).count() == 2
    assert InboundMessage.objects.filter(source=pos_source).count() == 2


def test_xlsx_with_the_sources_column_mapping(pos_source):
    pos_source.column_mapping = {
        "external_id": "Рег. номер",
        "text": "Суть",
        "posted_at": "Поступило",
        "author_phone": "Контакт",
    }
    pos_source.save()
    book = Workbook()
    sheet = book.active
    sheet.append(["Рег. номер", "Суть", "Поступило", "Контакт"])
    sheet.append([1001, "Не работает лифт", datetime(2026, 11, 27, 9, 30), "+7 900 000-00-00"])
    sheet.append([1002, "Нет отопления в школе", "27.11.2026 10:00", None])
    sheet.append([None, None, None, None])  # an empty row is skipped, not rejected
    sheet.append([1003, "Без даты", None, None])
    out = io.BytesIO()
    book.save(out)

    job = run_import(pos_source, out.getvalue(), name="export.xlsx")

    assert (job.total_rows, job.imported, job.rejected) == (3, 2, 1)
    assert job.rejected_rows == [{"line": 5, "reason": "posted_at: нет даты"}]
    first = InboundMessage.objects.get(source=pos_source, external_id="1001")
    assert first.payload["posted_at"] == "2026-11-27T09:30:00+05:00"
    assert first.payload["author"] == {"phone": "+7 900 000-00-00"}


def test_rows_without_an_id_column_are_still_imported_once(pos_source):
    raw = csv_bytes(
        [["Текст", "Дата"], ["Сломана скамейка", "01.11.2026"], ["Сломана скамейка", "01.11.2026"]]
    )
    job = run_import(pos_source, raw)
    again = run_import(pos_source, raw)

    assert (job.imported, job.duplicates) == (1, 1)
    assert (again.imported, again.duplicates) == (0, 2)
    assert InboundMessage.objects.filter(source=pos_source).count() == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "пуст"),
        (b"\x98\x98\x98;\x98\n", "ни UTF-8, ни Windows-1251"),
        (b"PK\x03\x04 not really a workbook", "XLSX"),
        ("Номер;Дата\n1;01.11.2026\n".encode(), "Текст"),
    ],
)
def test_an_unreadable_file_fails_with_a_reason(pos_source, raw, message):
    job = run_import(pos_source, raw)

    assert job.state == ImportJob.State.FAILED
    assert message in job.error
    assert InboundMessage.objects.filter(source=pos_source).count() == 0


def test_nul_bytes_html_and_long_texts_in_a_file(pos_source):
    long_text = "очень длинный текст " * 600  # 12,000 characters
    raw = csv_bytes(
        [
            ["Номер", "Текст", "Дата"],
            ["1", "Вода\x00 течёт <script>alert(1)</script>", "01.11.2026"],
            ["2", long_text, "01.11.2026"],
            ["3", "x" * 20_001, "01.11.2026"],
        ]
    )
    job = run_import(pos_source, raw)

    assert (job.imported, job.rejected) == (2, 1)
    assert job.rejected_rows[0]["line"] == 4
    assert (
        InboundMessage.objects.get(external_id="1")
        .payload["text"]
        .startswith("Вода течёт <script>")
    )


def test_a_worker_killed_mid_file_resumes_without_doubling(pos_source, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    rows = [["Номер", "Текст", "Дата"]] + [
        [str(n), f"Сообщение {n}", "01.11.2026"] for n in range(7)
    ]
    job = imports.import_create(
        source=pos_source, upload=ContentFile(csv_bytes(rows)), file_name="a.csv", actor=None
    )
    real_store = imports._store_chunk
    calls = {"n": 0}

    def dying_store(job, chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # not caught by the import: the process dies
        real_store(job, chunk)

    monkeypatch.setattr(imports, "_store_chunk", dying_store)
    with pytest.raises(SystemExit):
        imports.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and job.processed_rows == 4

    monkeypatch.setattr(imports, "_store_chunk", real_store)
    imports.import_run(job_id=job.pk)
    job.refresh_from_db()

    assert job.state == ImportJob.State.DONE
    assert (job.processed_rows, job.imported, job.duplicates) == (7, 7, 0)
    assert InboundMessage.objects.filter(source=pos_source).count() == 7


def test_the_command_imports_and_reports(pos_source, tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(CSV_ROWS, encoding="cp1251"))

    call_command("signals_import", str(path), "--source", "pos-file", "--process")
    out = capsys.readouterr().out

    assert "imported 2, duplicates 0, rejected 2" in out
    assert "line 3:" in out and "line 4:" in out
    assert "signals created or updated: 2" in out
    assert Signal.objects.filter(source=pos_source).count() == 2
    with pytest.raises(CommandError, match="No active source"):
        call_command("signals_import", str(path), "--source", "nope")


def test_upload_progress_and_report_in_the_ui(
    client, analyst, pos_source, eager, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    upload = SimpleUploadedFile("выгрузка.csv", csv_bytes(CSV_ROWS, encoding="cp1251"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("signals_app:import_list"), {"source": pos_source.pk, "file": upload}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("signals_app:import_detail", args=[job.pk])
    assert job.uploaded_by == analyst and job.state == ImportJob.State.DONE

    page = client.get(response["Location"], headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "hx-trigger" not in page.content.decode()  # finished: the polling stops
    assert "<dd>2</dd>" in page.content.decode()  # imported

    report = client.get(reverse("signals_app:import_report", args=[job.pk]))
    body = report.content.decode("utf-8-sig")
    assert report["Content-Type"].startswith("text/csv")
    assert "3;text: Это поле не может быть пустым." in body
    assert "4;posted_at: не удаётся прочитать дату «вчера»" in body


def test_a_running_import_polls_and_a_bad_upload_is_refused(client, analyst, pos_source):
    client.force_login(analyst)
    job = ImportJob.objects.create(
        source=pos_source, file=ContentFile(b"x", name="a.csv"), file_name="a.csv",
        state=ImportJob.State.RUNNING, total_rows=200, processed_rows=50,
    )  # fmt: skip
    page = client.get(reverse("signals_app:import_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'value="25"' in page

    response = client.post(
        reverse("signals_app:import_list"),
        {"source": pos_source.pk, "file": SimpleUploadedFile("photo.jpg", b"\xff\xd8")},
    )
    assert response.status_code == 200
    assert "Загрузите файл .csv или .xlsx." in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_imports_are_for_analysts_of_the_region(
    client, executor, foreign_analyst, pos_source, analyst
):
    job = ImportJob.objects.create(
        source=pos_source, file=ContentFile(b"x", name="a.csv"), file_name="a.csv"
    )
    client.force_login(executor)
    assert client.get(reverse("signals_app:import_list")).status_code == 403
    assert client.get(reverse("signals_app:import_detail", args=[job.pk])).status_code == 403
    client.force_login(foreign_analyst)
    assert client.get(reverse("signals_app:import_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("signals_app:import_report", args=[job.pk])).status_code == 404
    response = client.post(
        reverse("signals_app:import_list"),
        {"source": pos_source.pk, "file": SimpleUploadedFile("a.csv", b"x")},
    )
    assert response.status_code == 200 and ImportJob.objects.count() == 1  # not their source


def test_an_item_with_a_lone_surrogate_is_rejected_alone():
    """A file's reader could hand over what the JSON parser refuses at the batch API's door:
    the item check refuses it too, so one such row never fails the whole import."""
    from signals_app.ingest.items import ItemChecker

    check = ItemChecker()
    item = {
        "external_id": "s-1",
        "text": "Яма \ud800 у дома",
        "posted_at": "2026-11-27T10:00:00+05:00",
    }
    key, errors = check(item)
    assert key == "" and "суррогат" in errors["item"][0]
    assert check(item | {"text": "Яма у дома"}) == ("s-1", {})
