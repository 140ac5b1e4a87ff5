"""Exports of a filtered queue view (the queue's own FilterSet): CSV or XLSX, built by a worker
row by row in constant memory, personal data only for the rows the user may see it in, every
export recorded, the user notified with a link when it is ready."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from types import SimpleNamespace

from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from agencies.models import User
from agencies.selectors import staff_context
from reports.models import Export
from signals_app import dispatch
from signals_app.access import mask_name, may_see_personal_data
from signals_app.errors import InvalidInput
from signals_app.filters import SignalFilterSet, default_order, saved_view_query
from signals_app.models import Notification
from signals_app.selectors import signal_visible_to
from signals_app.spreadsheets import CSV_DELIMITER, csv_row, xlsx_row

logger = logging.getLogger(__name__)

CHUNK = 2000
MAX_ROWS = 1_000_000
COLUMNS = (
    "number", "received_at", "channel", "status", "priority", "category__name",
    "municipality__name", "address", "agency__name", "next_deadline_at", "reacted_at",
    "answered_at", "text", "author_name", "author_contact", "author_profile_url",
    "region_id", "agency_id",
)  # fmt: skip


@transaction.atomic
def export_request(*, user: User, params: QueryDict, format: str) -> Export:
    if format not in Export.Format.values:
        format = Export.Format.CSV
    # A filter the queue would refuse must not be dropped silently here: the file would hold
    # more than the user saw.
    check = SignalFilterSet(
        params, queryset=signal_visible_to(user=user), request=SimpleNamespace(user=user)
    )
    if not check.is_valid():
        problems = "; ".join(
            f"{check.form.fields[name].label}: {' '.join(errors)}"
            for name, errors in check.form.errors.items()
            if name in check.form.fields
        )
        raise InvalidInput(
            _("The filters cannot be exported: %(problems)s") % {"problems": problems}
        )
    export = Export.objects.create(owner=user, query=saved_view_query(params), format=format)
    dispatch.send_on_commit("reports.export", export.pk)
    return export


def _header() -> list[str]:
    return [
        _("Number"), _("Received"), _("Channel"), _("Status"), _("Priority"), _("Category"),
        _("Municipality"), _("Address"), _("Agency"), _("Deadline"), _("reacted at"),
        _("answered at"), _("Text"), _("Author"), _("author's contact"), _("author's profile"),
    ]  # fmt: skip


def _filtered(export: Export):  # type: ignore[no-untyped-def]
    owner = export.owner
    filters = SignalFilterSet(
        QueryDict(export.query), queryset=default_order(signal_visible_to(user=owner)),
        request=SimpleNamespace(user=owner),
    )  # fmt: skip
    return filters.qs


def _rows(export: Export):  # type: ignore[no-untyped-def]
    """The export's rows, in the queue's order, personal data masked where not allowed."""
    context = staff_context(user=export.owner)
    rows = _filtered(export).values_list(*COLUMNS)[:MAX_ROWS]
    zone = timezone.get_current_timezone()
    for row in rows.iterator(chunk_size=CHUNK):
        values = list(row[:-2])
        fake = SimpleNamespace(region_id=row[-2], agency_id=row[-1])
        if not may_see_personal_data(context, fake):  # type: ignore[arg-type]
            values[13] = mask_name(values[13] or "")
            values[14] = values[15] = ""
        for index in (1, 9, 10, 11):
            if values[index] is not None:
                values[index] = timezone.localtime(values[index], zone).replace(tzinfo=None)
        yield values, not may_see_personal_data(context, fake)  # type: ignore[arg-type]


def export_run(*, export_id: int) -> Export | None:
    """Write the export's file (idempotent: a finished export is left as it is)."""
    claimed = Export.objects.filter(
        pk=export_id, state__in=(Export.State.QUEUED, Export.State.RUNNING)
    ).update(state=Export.State.RUNNING, rows=0)
    if not claimed:
        return None
    export = Export.objects.select_related("owner").get(pk=export_id)
    # The count the progress bar measures against (rows arriving meanwhile may add a few).
    export.total = min(_filtered(export).order_by().count(), MAX_ROWS)
    Export.objects.filter(pk=export_id).update(total=export.total)
    with tempfile.TemporaryFile() as handle:
        written, personal = _write(export, handle)
        handle.seek(0)
        name = f"signals-{timezone.localdate():%Y%m%d}-{export.pk}.{export.format}"
        export.file.save(name, File(handle), save=False)
    export.rows, export.personal_data = written, personal
    export.state, export.finished_at = Export.State.DONE, timezone.now()
    export.save(update_fields=["file", "rows", "personal_data", "state", "finished_at"])
    link = reverse("reports:export_detail", args=[export.pk])
    Notification.objects.create(
        user=export.owner, kind="export",
        title=_("Your export is ready: %(rows)d rows") % {"rows": written}, body=link,
    )  # fmt: skip
    logger.info("export_done export_id=%s rows=%s format=%s", export.pk, written, export.format)
    return export


def _write(export: Export, handle) -> tuple[int, bool]:  # type: ignore[no-untyped-def]
    """Stream the rows into the file; progress is saved every chunk."""
    written, personal = 0, False
    if export.format == Export.Format.XLSX:
        workbook = Workbook(write_only=True)  # rows go to disk as they come
        sheet = workbook.create_sheet(_("Signals"))
        sheet.freeze_panes = "A2"
        sheet.append(_header())
        for values, masked in _rows(export):
            sheet.append(xlsx_row(sheet, values))
            personal |= not masked
            written += 1
            if written % CHUNK == 0:
                Export.objects.filter(pk=export.pk).update(rows=written)
        workbook.save(handle)
        return written, personal
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=CSV_DELIMITER)
    writer.writerow(_header())
    for values, masked in _rows(export):
        writer.writerow(
            csv_row(
                value.isoformat(sep=" ") if hasattr(value, "isoformat") else value
                for value in values
            )
        )
        personal |= not masked
        written += 1
        if written % CHUNK == 0:
            Export.objects.filter(pk=export.pk).update(rows=written)
    text.flush()
    text.detach()
    return written, personal
