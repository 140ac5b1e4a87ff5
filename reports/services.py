"""Writes of the reports app: requesting a report and generating its frozen snapshot.

The reports app reads signals; it never writes to them.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Municipality, Region, Role, User
from agencies.selectors import staff_context
from reports.figures import month_bounds, monthly_figures, previous_month
from reports.models import Report
from signals_app import dispatch
from signals_app.errors import ActionForbidden, InvalidInput

logger = logging.getLogger(__name__)


def may_report(user: User, region: Region) -> bool:
    """Supervisors and analysts of the region (and superusers) generate and read its reports."""
    context = staff_context(user=user)
    return any(context.is_centre(role, region.pk) for role in (Role.SUPERVISOR, Role.ANALYST))


@transaction.atomic
def report_request(
    *,
    region: Region,
    year: int,
    month: int,
    actor: User | None,
    municipality: Municipality | None = None,
    agency: Agency | None = None,
) -> Report:
    """Queue a new version of a monthly report; the figures are computed by a worker."""
    if actor is not None and not may_report(actor, region):
        raise ActionForbidden()
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput(_("Choose a month."))
    start, _end = month_bounds(region, year, month)
    if start > timezone.now():
        raise InvalidInput(_("That month has not begun yet."))
    for part in (municipality, agency):
        if part is not None and part.region_id != region.pk:
            raise InvalidInput(_("The municipality or agency belongs to another region."))
    # One version number per parameters: the region row serialises concurrent requests.
    Region.objects.select_for_update().filter(pk=region.pk).first()
    latest = (
        Report.objects.filter(
            region=region, year=year, month=month, municipality=municipality, agency=agency
        )
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    report = Report.objects.create(
        region=region, year=year, month=month, municipality=municipality, agency=agency,
        version=(latest or 0) + 1, requested_by=actor,
    )  # fmt: skip
    dispatch.send_on_commit("reports.generate", report.pk)
    return report


SCHEDULED_HOUR = 6


def reports_schedule_due(*, now: datetime | None = None) -> list[Report]:
    """Request last month's report for every region where it is the 1st, 06:00–06:59 local.

    Idempotent: a scheduled report (no requester) of that month is made once per region.
    """
    now = now or timezone.now()
    made = []
    for region in Region.objects.order_by("pk"):
        local = timezone.localtime(now, ZoneInfo(region.time_zone))
        if local.day != 1 or local.hour != SCHEDULED_HOUR:
            continue
        year, month = previous_month(local.year, local.month)
        exists = Report.objects.filter(
            region=region, year=year, month=month, municipality=None, agency=None,
            requested_by=None,
        ).exists()  # fmt: skip
        if not exists:
            made.append(report_request(region=region, year=year, month=month, actor=None))
    return made


def progress_key(report_id: int) -> str:
    """Where a running generation keeps its progress: the cache, which every process sees
    while the figures' own transaction is still open."""
    return f"reports:progress:{report_id}"


def report_generate(*, report_id: int) -> Report | None:
    """Compute and freeze the figures and files of a queued report (idempotent: a done one is
    left as it is)."""
    claimed = Report.objects.filter(
        pk=report_id, state__in=(Report.State.QUEUED, Report.State.RUNNING)
    ).update(state=Report.State.RUNNING, progress=10)
    if not claimed:
        return None
    report = Report.objects.select_related("region", "municipality", "agency", "requested_by").get(
        pk=report_id
    )

    def progress(share: int) -> None:
        cache.set(progress_key(report_id), share, timeout=3600)

    try:
        report.figures = monthly_figures(
            region=report.region,
            year=report.year,
            month=report.month,
            municipality_id=report.municipality_id,
            agency_id=report.agency_id,
            progress=progress,
        )
        report.generated_at = timezone.now()
        _write_files(report, progress)
    except Exception as error:
        Report.objects.filter(pk=report_id).update(
            state=Report.State.FAILED, error=type(error).__name__, progress=0
        )
        logger.exception("report_failed report_id=%s", report_id)
        raise
    finally:
        cache.delete(progress_key(report_id))
    report.state, report.progress = Report.State.DONE, 100
    report.save(
        update_fields=[
            "state", "figures", "progress", "generated_at", "xlsx_file", "pdf_file",
            "signals_file",
        ]
    )  # fmt: skip
    logger.info("report_generated report_id=%s received=%s", report_id, report.figures["received"])
    if report.requested_by_id is None:
        _mail_supervisors(report)
    return report


def _write_files(report: Report, progress: Callable[[int], None]) -> None:
    """The XLSX, the PDF and the CSV of the signals, frozen with the figures. Without Pango on
    the server the PDF is left out (the page says so) rather than failing the report."""
    from reports.exports import report_pdf, report_signals_csv, report_xlsx
    from signals_app.spreadsheets import PdfUnavailable

    name = f"report-{report.region.code}-{report.year}-{report.month:02d}-v{report.version}"
    report.xlsx_file.save(f"{name}.xlsx", ContentFile(report_xlsx(report)), save=False)
    progress(80)
    try:
        report.pdf_file.save(f"{name}.pdf", ContentFile(report_pdf(report)), save=False)
    except PdfUnavailable:
        logger.warning("report_pdf_unavailable report_id=%s", report.pk)
    progress(90)
    with tempfile.TemporaryFile() as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        text.writelines(report_signals_csv(report))
        text.flush()
        text.detach()
        handle.seek(0)
        report.signals_file.save(f"{name}-signals.csv", File(handle), save=False)


def _mail_supervisors(report: Report) -> int:
    """Tell the region's supervisors that the scheduled report is ready (a link, no figures)."""
    recipients = list(
        User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR, regions=report.region_id)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse("reports:report_detail", args=[report.pk])
    subject = _("Monthly report %(month)02d.%(year)s: %(region)s") % {
        "month": report.month, "year": report.year, "region": report.region.name,
    }  # fmt: skip
    body = _("The report for %(month)02d.%(year)s is ready: %(link)s") % {
        "month": report.month, "year": report.year, "link": link,
    }  # fmt: skip
    send_mail(subject, body, None, recipients)
    return len(recipients)


def reports_sweep_queued(*, older_than_seconds: int = 120) -> int:
    """Send again the reports and exports still queued after a while; each task is idempotent
    (it claims its row first), so a duplicate delivery does nothing."""
    from datetime import timedelta

    from reports.models import Export

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    reports = list(
        Report.objects.filter(state=Report.State.QUEUED, requested_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:100]
    )
    exports = list(
        Export.objects.filter(state=Export.State.QUEUED, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:100]
    )
    for pk in reports:
        dispatch.send("reports.generate", pk)
    for pk in exports:
        dispatch.send("reports.export", pk)
    return len(reports) + len(exports)
