"""Generated reports: frozen snapshots of figures, never recomputed once done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, Region


class Report(models.Model):
    """One generation of a monthly report: its parameters, who asked, and the figures as they
    were then. Regenerating the same month makes a new version; old ones stay as they were."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being generated")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("municipality"),
    )  # fmt: skip
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("agency"),
    )  # fmt: skip
    version = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )  # fmt: skip
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    # The files are written with the figures and frozen with them.
    xlsx_file = models.FileField(_("XLSX"), upload_to="reports/%Y/%m/", blank=True)
    pdf_file = models.FileField(_("PDF"), upload_to="reports/%Y/%m/", blank=True)
    signals_file = models.FileField(_("signals, CSV"), upload_to="reports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-year", "-month", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "month", "municipality", "agency", "version"],
                name="report_unique_version",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="report_month"),
            models.CheckConstraint(
                condition=~Q(state="done") | Q(generated_at__isnull=False),
                name="report_done_has_time",
            ),
        ]
        indexes = [models.Index(fields=["region", "-year", "-month"], name="report_region_idx")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}-{self.month:02d} v{self.version}"


class Export(models.Model):
    """An asynchronous export of a filtered queue view: who, which filter, how many rows."""

    State = Report.State

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("user"),
    )  # fmt: skip
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=Report.State.choices, default=Report.State.QUEUED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    total = models.PositiveIntegerField(_("rows to write"), default=0)
    personal_data = models.BooleanField(_("with personal data"), default=False)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="export_owner_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.format} {self.created_at:%d.%m.%Y %H:%M}"

    @property
    def progress(self) -> int:
        """Per cent of the rows written (0 until the count is known)."""
        if not self.total:
            return 0
        return min(100, self.rows * 100 // self.total)
