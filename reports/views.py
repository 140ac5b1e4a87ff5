"""Pages of the reports app: the list with a request form, one report with its figures."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.vary import vary_on_headers

from agencies.models import Agency, Municipality, Region
from reports import selectors
from reports.charts import report_charts
from reports.dashboard import dashboard_figures
from reports.exports import report_pdf, report_signals_csv, report_xlsx
from reports.models import Export
from reports.queue_exports import export_request
from reports.services import report_request
from signals_app.errors import WorkflowError
from signals_app.filters import describe_queries
from signals_app.spreadsheets import PdfUnavailable


class ReportForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("Region"))
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), required=False, label=_("Municipality")
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, label=_("Agency")
    )

    def __init__(self, *args, regions: list[int] | None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        scope = {} if regions is None else {"region_id__in": regions}
        self.fields["region"].queryset = Region.objects.filter(
            **({} if regions is None else {"pk__in": regions})
        )
        self.fields["municipality"].queryset = Municipality.objects.filter(**scope).order_by("name")
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True, **scope).order_by(
            "name"
        )


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """Generated reports of the user's regions; request one for any past or current month."""
    regions = selectors.report_regions_for(user=request.user)
    if regions == []:
        raise PermissionDenied
    last_month = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    form = ReportForm(
        request.POST or None,
        regions=regions,
        initial={"month": last_month, "region": regions[0] if regions else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = report_request(
                region=data["region"], year=data["month"].year, month=data["month"].month,
                municipality=data["municipality"], agency=data["agency"], actor=request.user,
            )  # fmt: skip
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The report is being generated."))
            return redirect("reports:report_detail", report_id=report.pk)
    page = Paginator(selectors.reports_for_user(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request, "reports/report_list.html", {"form": form, "page": page}, status=status
    )


def _report_or_404(request: HttpRequest, report_id: int):  # type: ignore[no-untyped-def]
    report = selectors.reports_for_user(user=request.user).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def _done_report(request: HttpRequest, report_id: int):  # type: ignore[no-untyped-def]
    report = _report_or_404(request, report_id)
    if report.state != report.State.DONE:
        raise Http404
    return report


def _frozen_file(report, field: str, render) -> HttpResponse:  # type: ignore[no-untyped-def]
    """The file written with the report; reports made before files were kept render it from
    their frozen figures instead."""
    stored = getattr(report, field)
    name = f"report-{report.region.code}-{report.year}-{report.month:02d}-v{report.version}"
    extension = {"xlsx_file": "xlsx", "pdf_file": "pdf", "signals_file": "csv"}[field]
    filename = f"{name}{'-signals' if field == 'signals_file' else ''}.{extension}"
    if stored:
        return FileResponse(stored.open("rb"), as_attachment=True, filename=filename)
    content_type, body = render(report)
    response = (
        StreamingHttpResponse(body, content_type=content_type)
        if not isinstance(body, bytes)
        else HttpResponse(body, content_type=content_type)
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def report_xlsx_download(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report's frozen figures as a workbook."""
    report = _done_report(request, report_id)
    return _frozen_file(report, "xlsx_file", lambda report: (XLSX, report_xlsx(report)))


@login_required
def report_pdf_download(request: HttpRequest, report_id: int) -> HttpResponse:
    """The printable report as PDF."""
    report = _done_report(request, report_id)
    try:
        return _frozen_file(
            report, "pdf_file", lambda report: ("application/pdf", report_pdf(report))
        )
    except PdfUnavailable:
        messages.error(
            request, _("PDF is not available on this server (the Pango library is missing).")
        )
        return redirect("reports:report_detail", report_id=report.pk)


@login_required
def report_signals_download(request: HttpRequest, report_id: int) -> HttpResponse:
    """The signals behind the report as CSV, as they were when it was generated."""
    report = _done_report(request, report_id)
    return _frozen_file(
        report,
        "signals_file",
        lambda report: ("text/csv; charset=utf-8", report_signals_csv(report)),
    )


@login_required
@vary_on_headers("HX-Request")
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """One report: a progress bar while it is generated, then its figures and what changed
    since the previous version."""
    report = _report_or_404(request, report_id)
    if request.htmx and report.state not in (report.State.QUEUED, report.State.RUNNING):
        # The progress bar polled its way to the end: the whole page now, with its figures.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    previous = selectors.previous_version(report) if report.state == report.State.DONE else None
    context = {
        "report": report,
        "progress": selectors.report_progress(report),
        "figures": report.figures,
        "previous": previous,
        "diff": selectors.report_diff(report, previous) if previous else [],
        "charts": report_charts(report.figures) if report.state == report.State.DONE else {},
    }
    template = "reports/report_detail.html"
    if request.htmx:
        template += "#status"
    return TemplateResponse(request, template, context)


@login_required
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest, agency_id: int | None = None) -> HttpResponse:
    """The centre's live figures (or one agency's), refreshed every minute."""
    agency = None
    if agency_id is not None:
        from signals_app.selectors import agency_for_user

        agency = agency_for_user(user=request.user, agency_id=agency_id)
        if agency is None:
            raise Http404
        region = agency.region
    else:
        regions = selectors.report_regions_for(user=request.user)
        if regions == []:
            raise PermissionDenied
        chosen = request.GET.get("region", "")
        region = (
            Region.objects.filter(
                **({} if regions is None else {"pk__in": regions}),
                **({"pk": int(chosen)} if chosen.isdigit() else {}),
            )
            .order_by("pk")
            .first()
        )
        if region is None:
            raise Http404
    context = {
        "region": region,
        "agency": agency,
        # The queue links of an agency's board carry the agency (a region's carry nothing more).
        "scope": f"&agency={agency.pk}" if agency else "",
        "figures": dashboard_figures(region=region, agency=agency, now=timezone.now()),
    }
    template = "reports/dashboard.html"
    if request.htmx:
        template += "#board"
    return TemplateResponse(request, template, context)


@login_required
def export_create(request: HttpRequest) -> HttpResponse:
    """The user's exports (GET); start an export of the queue view whose query is posted."""
    if request.method != "POST":
        page = Paginator(Export.objects.filter(owner=request.user), 30).get_page(
            request.GET.get("page")
        )
        exports = list(page.object_list)
        words = describe_queries([export.query for export in exports])
        for export in exports:
            export.query_text = words[export.query]  # type: ignore[attr-defined]
        return TemplateResponse(
            request, "reports/export_list.html", {"page": page, "exports": exports}
        )
    query = request.POST.get("query", "")
    try:
        export = export_request(
            user=request.user, params=QueryDict(query), format=request.POST.get("format", "csv")
        )
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(reverse("signals_app:signal_list") + (f"?{query}" if query else ""))
    return redirect("reports:export_detail", export_id=export.pk)


def _own_export(request: HttpRequest, export_id: int) -> Export:
    export = Export.objects.filter(pk=export_id, owner=request.user).first()
    if export is None:
        raise Http404
    return export


@login_required
@vary_on_headers("HX-Request")
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    """An export's progress, then its download link."""
    template = "reports/export_detail.html"
    if request.htmx:
        template += "#progress"
    export = _own_export(request, export_id)
    export.query_text = describe_queries([export.query])[export.query]  # type: ignore[attr-defined]
    return TemplateResponse(request, template, {"export": export})


@login_required
def export_file(request: HttpRequest, export_id: int) -> FileResponse:
    export = _own_export(request, export_id)
    if export.state != Export.State.DONE or not export.file:
        raise Http404
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1]
    )
