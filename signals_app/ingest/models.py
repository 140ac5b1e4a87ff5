"""Rules that classify and route incoming signals, editable in the admin."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, OfficialPage, Region


def keyword_list(text: str) -> list[str]:
    """Comma- or newline-separated keywords, lower-cased, empty ones dropped."""
    return [word.strip().lower() for word in re.split(r"[,\n]", text or "") if word.strip()]


class ClassificationRule(models.Model):
    """Keywords or a regular expression that put a signal into a category."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    category = models.ForeignKey(
        "signals_app.Category",
        on_delete=models.CASCADE,
        related_name="rules",
        verbose_name=_("category"),
    )
    keywords = models.TextField(
        _("keywords"), blank=True, help_text=_("Comma-separated; any of them matches.")
    )
    pattern = models.CharField(_("regular expression"), max_length=500, blank=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        ordering = ["region", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}: {self.category}"

    def clean(self) -> None:
        if not self.keywords.strip() and not self.pattern.strip():
            raise ValidationError(_("Give keywords or a regular expression."))
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as error:
                raise ValidationError(
                    {"pattern": _("Not a valid regular expression: %(error)s") % {"error": error}}
                ) from error


class RoutingRule(models.Model):
    """Ordered; the first rule whose every given condition holds sends the signal to its agency."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    order = models.PositiveIntegerField(_("order"), default=100)
    category = models.ForeignKey(
        "signals_app.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("category"), help_text=_("A topic also covers its subtopics."),
    )  # fmt: skip
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    source = models.ForeignKey(
        "signals_app.Source",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source"),
    )
    official_page = models.ForeignKey(
        OfficialPage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("official page"),
    )
    keywords = models.TextField(
        _("keywords"), blank=True, help_text=_("Comma-separated; any of them matches.")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("executor"),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    skipped_inactive_agency = models.BooleanField(
        _("skipped: inactive agency"), default=False, editable=False,
        help_text=_("Set when the rule matched but its agency is inactive."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["region", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}: → {self.agency}"


class ImportJob(models.Model):
    """One uploaded export file: its progress while a worker reads it, then its report."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(
        "signals_app.Source", on_delete=models.PROTECT, related_name="imports",
        verbose_name=_("source"),
    )  # fmt: skip
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("uploaded by"),
    )  # fmt: skip
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=300)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="queued")
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows read"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejected_rows = models.JSONField(_("rejected rows"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("file import")
        verbose_name_plural = _("file imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="importjob_state_idx")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class TextClassifier(models.Model):
    """A text model trained on a region's classified signals, with its held-out accuracy.

    The newest active version of a region is used; below its threshold a signal is left for
    an analyst.
    """

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    samples = models.PositiveIntegerField(_("training signals"))
    holdout = models.PositiveIntegerField(_("held-out signals"))
    accuracy = models.FloatField(_("held-out accuracy"))
    threshold = models.FloatField(
        _("confidence threshold"),
        help_text=_("Below it the signal stays for an analyst."),
    )
    accuracy_above_threshold = models.FloatField(_("accuracy above the threshold"))
    coverage = models.FloatField(
        _("coverage"), help_text=_("Share of held-out signals at or above the threshold.")
    )
    classes = models.JSONField(_("categories"), default=list)
    model = models.BinaryField(_("model"), editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("text classifier")
        verbose_name_plural = _("text classifiers")
        ordering = ["region", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "version"], name="classifier_version_unique"),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0, threshold__lte=1),
                name="classifier_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} v{self.version} ({self.accuracy:.1%})"


class MassIncidentProposal(models.Model):
    """A cluster of similar recent signals that may be one event; an analyst decides."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="proposed")
    title = models.CharField(_("title"), max_length=300)
    signals = models.ManyToManyField(
        "signals_app.Signal", related_name="mass_proposals", verbose_name=_("signals")
    )
    parent = models.ForeignKey(
        "signals_app.Signal", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("mass incident"),
        help_text=_("An open mass incident the signals would join; empty for a new one."),
    )  # fmt: skip
    similarity = models.FloatField(_("mean similarity"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mass incident proposal")
        verbose_name_plural = _("mass incident proposals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "state"], name="massproposal_state_idx")]

    def __str__(self) -> str:
        return self.title
