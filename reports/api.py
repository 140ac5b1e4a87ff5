"""Reports in the REST API: the list, one report with its frozen figures, its files, and a
request for a new generation (the same services and scoping as the pages)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency, Municipality, Region
from reports import selectors
from reports.models import Report
from reports.services import report_request
from reports.views import XLSX, _frozen_file
from signals_app.api.views import ApiView, Cursor, errors

FILES = {
    "xlsx": ("xlsx_file", XLSX),
    "pdf": ("pdf_file", "application/pdf"),
    "signals.csv": ("signals_file", "text/csv; charset=utf-8"),
}


class ReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    region = serializers.CharField(source="region.code")
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    municipality = serializers.IntegerField(source="municipality_id", allow_null=True)
    agency = serializers.IntegerField(source="agency_id", allow_null=True)
    version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Report.State.choices)
    progress = serializers.SerializerMethodField()
    requested_by = serializers.CharField(source="requested_by.username", default=None)
    requested_at = serializers.DateTimeField()
    generated_at = serializers.DateTimeField(allow_null=True)
    files = serializers.SerializerMethodField()

    def get_url(self, report: Report) -> str:
        return reverse("api:report_detail", args=[report.pk])

    def get_progress(self, report: Report) -> int:
        return selectors.report_progress(report)

    def get_files(self, report: Report) -> dict[str, str]:
        if report.state != Report.State.DONE:
            return {}
        return {kind: reverse("api:report_file", args=[report.pk, kind]) for kind in FILES}


class ReportDetailOut(ReportOut):
    figures = serializers.JSONField(help_text="The frozen figures (see the README).")


class ReportRequestIn(serializers.Serializer):
    region = serializers.IntegerField(min_value=1)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    municipality = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    agency = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class ReportCursor(Cursor):
    page_size = 30


def _regions(request: Request):  # type: ignore[no-untyped-def]
    regions = selectors.report_regions_for(user=request.user)
    if regions == []:
        from rest_framework.exceptions import PermissionDenied

        raise PermissionDenied()
    return regions


@extend_schema_view(
    get=extend_schema(
        tags=["reports"], summary="Generated monthly reports of the user's regions",
        responses={200: ReportOut(many=True), **errors(400, 401, 403, 429)},
    ),
    post=extend_schema(
        tags=["reports"], summary="Generate a report (a new version); poll its url for progress",
        request=ReportRequestIn,
        responses={202: ReportOut, **errors(400, 401, 403, 429)},
    ),
)  # fmt: skip
class ReportList(ApiView, generics.ListAPIView):
    serializer_class = ReportOut
    pagination_class = ReportCursor
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Report]:
        _regions(self.request)
        return selectors.reports_for_user(user=self.request.user)

    def post(self, request: Request) -> Response:
        regions = _regions(request)
        data = ReportRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        region = Region.objects.filter(
            pk=values["region"], **({} if regions is None else {"pk__in": regions})
        ).first()
        if region is None:
            raise serializers.ValidationError({"region": [_("No such region among yours.")]})
        parts = {}
        for name, model in (("municipality", Municipality), ("agency", Agency)):
            if values.get(name):
                parts[name] = model.objects.filter(pk=values[name], region=region).first()
                if parts[name] is None:
                    raise serializers.ValidationError({name: [_("Not in this region.")]})
        report = report_request(
            region=region, year=values["year"], month=values["month"], actor=request.user, **parts
        )
        return Response(ReportOut(report).data, status=status.HTTP_202_ACCEPTED)


def _report(request: Request, report_id: int) -> Report:
    report = selectors.reports_for_user(user=request.user).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


@extend_schema(
    tags=["reports"], summary="One report with its frozen figures",
    responses={200: ReportDetailOut, **errors(401, 404, 429)},
)  # fmt: skip
class ReportDetail(ApiView):
    def get(self, request: Request, report_id: int) -> Response:
        return Response(ReportDetailOut(_report(request, report_id)).data)


class ReportFile(ApiView):
    @extend_schema(
        tags=["reports"],
        operation_id="v1_reports_file",
        summary="A file of a generated report: xlsx, pdf or signals.csv",
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(FILES))],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            **errors(401, 404, 429),
        },
    )
    def get(self, request: Request, report_id: int, kind: str):  # type: ignore[no-untyped-def]
        report = _report(request, report_id)
        if kind not in FILES or report.state != Report.State.DONE:
            raise Http404
        field, content_type = FILES[kind]
        from reports.exports import report_pdf, report_signals_csv, report_xlsx

        render = {
            "xlsx_file": report_xlsx, "pdf_file": report_pdf, "signals_file": report_signals_csv,
        }[field]  # fmt: skip
        return _frozen_file(report, field, lambda report: (content_type, render(report)))
