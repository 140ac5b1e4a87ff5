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
