"""The counts the analytics read instead of the signal table (floor 1): signals received per
hour and per local day, by region × municipality × topic × subtopic × channel. Kept up to
date by the batch write (`analytics.rollup`), rebuilt by `manage.py analytics_rollup`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Municipality, Region

KEY = ["region", "municipality", "topic", "subtopic", "channel"]


class _Count(models.Model):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("region"))  # fmt: skip
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, null=True,
                                     related_name="+", verbose_name=_("municipality"))  # fmt: skip
    topic = models.ForeignKey("signals_app.Category", on_delete=models.CASCADE, null=True,
                              related_name="+", verbose_name=_("topic"))  # fmt: skip
    subtopic = models.ForeignKey("signals_app.Category", on_delete=models.CASCADE, null=True,
                                 related_name="+", verbose_name=_("subtopic"))  # fmt: skip
    channel = models.CharField(_("channel"), max_length=16)
    count = models.PositiveIntegerField(_("signals"), default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.channel}: {self.count}"


class HourCount(_Count):
    """Signals received in one hour (UTC hours; a region's local hours are the same ones)."""

    hour = models.DateTimeField(_("hour"))

    class Meta:
        verbose_name = _("signals per hour")
        verbose_name_plural = _("signals per hour")
        constraints = [
            models.UniqueConstraint(
                fields=["hour", *KEY], name="hour_count_key", nulls_distinct=False
            ),
            models.CheckConstraint(condition=Q(count__gte=0), name="hour_count_nonnegative"),
        ]
        indexes = [models.Index(fields=["region", "hour"], name="hour_count_region_idx")]


class DayCount(_Count):
    """Signals received on one day of the region's own calendar."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("signals per day")
        verbose_name_plural = _("signals per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *KEY], name="day_count_key", nulls_distinct=False
            ),
            models.CheckConstraint(condition=Q(count__gte=0), name="day_count_nonnegative"),
        ]
        indexes = [models.Index(fields=["region", "day"], name="day_count_region_idx")]


class Alert(models.Model):
    """An early warning: one spike of one series (a municipality's topic, or the region's
    subtopic), opened by the detector's first run that saw it, kept up to date while runs see
    it and ended after a quiet day; an analyst confirms or dismisses it meanwhile."""

    class Kind(models.TextChoices):
        BURST = "burst", _("Burst")
        LEVEL = "level", _("Level shift")

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    class Reason(models.TextChoices):
        EXPECTED = "expected", _("Expected (season, planned works, announced outage)")
        KNOWN = "known", _("Already known and being dealt with")
        CAMPAIGN = "campaign", _("An organised campaign or spam")
        MISCLASSIFIED = "misclassified", _("The signals are classified wrongly")
        OTHER = "other", _("Other")

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("region"))  # fmt: skip
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("municipality"))  # fmt: skip
    topic = models.ForeignKey("signals_app.Category", on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("topic"))  # fmt: skip
    subtopic = models.ForeignKey("signals_app.Category", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+",
                                 verbose_name=_("subtopic"))  # fmt: skip
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    observed = models.PositiveIntegerField(_("signals"))
    expected = models.FloatField(_("usual"))
    peak_ratio = models.FloatField(_("highest ratio"))
    p_value = models.FloatField(_("probability by chance"))
    since = models.DateTimeField(_("since"))
    detected_at = models.DateTimeField(_("detected at"))
    seen_at = models.DateTimeField(_("last seen at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="open")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    proposal = models.ForeignKey("signals_app.MassIncidentProposal", on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("mass incident proposal"))  # fmt: skip

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-detected_at", "-id"]
        constraints = [
            # One spike, one alert: a series has at most one alert that has not ended.
            models.UniqueConstraint(
                fields=["region", "municipality", "topic", "subtopic"],
                condition=Q(ended_at__isnull=True),
                name="alert_one_running_per_series",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, subtopic__isnull=True)
                | Q(municipality__isnull=True, subtopic__isnull=False),
                name="alert_series_shape",
            ),
            models.CheckConstraint(
                condition=Q(state="dismissed") | Q(reason=""), name="alert_reason_on_dismissal"
            ),
        ]
        indexes = [models.Index(fields=["region", "-detected_at"], name="alert_region_idx")]

    def __str__(self) -> str:
        return f"{self.topic_id}/{self.subtopic_id}@{self.municipality_id}: {self.peak_ratio:.1f}×"

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else self.peak_ratio
