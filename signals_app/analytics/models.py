"""The counts the analytics read instead of the signal table (floor 1): signals received per
hour and per local day, by region × municipality × topic × subtopic × channel. Kept up to
date by the batch write (`analytics.rollup`), rebuilt by `manage.py analytics_rollup`."""

from __future__ import annotations

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
