"""Reports and exports in the admin: the record of who generated or exported what, read-only."""

from django.contrib import admin

from reports.models import Export, Report
from signals_app.admin_base import ReadOnlyAdmin


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("region", "year", "month", "municipality", "agency", "version", "state",
                    "requested_by", "generated_at")  # fmt: skip
    list_filter = ("state", "region", "year")
    list_select_related = ("region", "municipality", "agency", "requested_by")
    exclude = ("figures",)


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "owner", "format", "query", "rows", "personal_data", "state")
    list_filter = ("format", "state", "personal_data")
    list_select_related = ("owner",)
    search_fields = ("owner__username", "query")
