"""Queue exports: the same filters as the queue, personal data only where allowed, recorded,
notified, downloadable by their owner only."""

from __future__ import annotations

import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from reports.models import Export
from signals_app.models import Notification
from signals_app.workflow import services
from tests.factories import SignalFactory


def _export(client, django_capture_on_commit_callbacks, query, format):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export_create"), {"query": query, "format": format})
    export = Export.objects.latest("id")
    assert response.status_code == 302 and response["Location"].endswith(f"/{export.pk}/")
    return export


def _csv(client, export):  # type: ignore[no-untyped-def]
    response = client.get(reverse("reports:export_file", args=[export.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


def test_csv_export_follows_the_filter_and_masks_for_supervisors(
    client, region, agency, analyst, supervisor, eager, django_capture_on_commit_callbacks, settings,
    tmp_path,
):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    kept = SignalFactory(region=region, author_name="Иванов Пётр", author_contact="+7 900 1")
    services.signal_route(signal=kept, agency=agency, actor=analyst)
    SignalFactory(region=region, author_name="Другой Автор")  # new: filtered out below
    client.force_login(analyst)
    export = _export(client, django_capture_on_commit_callbacks, "status=in_progress&page=2", "csv")
    export.refresh_from_db()
    assert export.state == Export.State.DONE and export.rows == 1 and export.personal_data
    assert export.query == "status=in_progress"
    rows = _csv(client, export)
    assert rows[0][0] == "Номер" and rows[1][0] == kept.number
    assert rows[1][13] == "Иванов Пётр" and rows[1][14] == "'+7 900 1"  # never a formula
    assert Notification.objects.filter(user=analyst, kind="export").exists()
    client.force_login(supervisor)
    export = _export(client, django_capture_on_commit_callbacks, "status=in_progress", "csv")
    export.refresh_from_db()
    rows = _csv(client, export)
    assert rows[1][13] == "И*** П***" and rows[1][14] == "" and not export.personal_data
    client.force_login(analyst)
    assert client.get(reverse("reports:export_file", args=[export.pk])).status_code == 404


def test_xlsx_export_has_typed_cells(
    client, region, analyst, eager, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    signal = SignalFactory(region=region)
    client.force_login(analyst)
    export = _export(client, django_capture_on_commit_callbacks, "", "xlsx")
    response = client.get(reverse("reports:export_file", args=[export.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A2"].value == signal.number
    assert sheet["B2"].is_date  # a real date, not text
    body = client.get(reverse("reports:export_detail", args=[export.pk])).content.decode()
    assert "Скачать" in body


def test_an_invalid_filter_is_refused_not_dropped(client, region, analyst):
    SignalFactory(region=region)
    client.force_login(analyst)
    response = client.post(
        reverse("reports:export_create"),
        {"query": "deadline=junk&received_from=31.02", "format": "csv"},
        follow=True,
    )
    assert not Export.objects.exists()
    assert "нельзя выгрузить" in response.content.decode()
    assert client.get(reverse("reports:export_create")).status_code == 200  # GET lists mine


def test_queued_work_no_worker_took_is_sent_again(region, analyst, eager, settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import Report
    from reports.services import reports_sweep_queued

    settings.MEDIA_ROOT = tmp_path
    SignalFactory(region=region)
    old = timezone.now() - timedelta(minutes=10)
    export = Export.objects.create(owner=analyst, query="", format="csv")
    report = Report.objects.create(region=region, year=2026, month=10, version=1)
    fresh = Export.objects.create(owner=analyst, query="", format="csv")
    Export.objects.filter(pk=export.pk).update(created_at=old)
    Report.objects.filter(pk=report.pk).update(requested_at=old)
    assert reports_sweep_queued() == 2
    export.refresh_from_db()
    report.refresh_from_db()
    fresh.refresh_from_db()
    assert export.state == report.state == "done" and fresh.state == "queued"


def test_a_running_export_shows_its_progress_as_a_share(client, region, analyst):
    client.force_login(analyst)
    export = Export.objects.create(
        owner=analyst, format="csv", state=Export.State.RUNNING, rows=2000, total=8000
    )
    assert export.progress == 25
    body = client.get(reverse("reports:export_detail", args=[export.pk])).content.decode()
    assert '<progress max="100" value="25"' in body and "2000 из 8000 строк (25%)" in body
    assert 'hx-trigger="every 2s"' in body  # the page keeps polling until it is done


def test_the_count_to_write_is_set_before_the_rows(
    client, region, analyst, eager, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    for _ in range(3):
        SignalFactory(region=region)
    client.force_login(analyst)
    export = _export(client, django_capture_on_commit_callbacks, "", "csv")
    export.refresh_from_db()
    assert export.total == 3 and export.rows == 3 and export.progress == 100


def test_my_exports_lists_only_mine_with_a_fixed_query_count(client, analyst, supervisor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Export.objects.create(owner=supervisor, format="csv", query="status=new")
    client.force_login(analyst)
    counts = []
    for more in (1, 29):
        for _ in range(more):
            Export.objects.create(owner=analyst, format="xlsx", query="q=труба", rows=5)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("reports:export_create"))
        assert response.status_code == 200
        counts.append(len(captured))
    body = response.content.decode()
    assert body.count("Поиск: «труба»") == 30 and "Статус" not in body  # in words
    assert counts[0] == counts[1]


def test_my_exports_shows_how_far_a_running_export_is(client, analyst):
    Export.objects.create(
        owner=analyst, format="csv", state=Export.State.RUNNING, rows=2000, total=8000
    )
    client.force_login(analyst)
    body = client.get(reverse("reports:export_create")).content.decode()
    assert "2000 / 8000 (25%)" in body and "Формат" in body
