"""Several agencies on one signal: the parts given to co-executors (соисполнители). The signal's
own agency leads and compiles the final answer; each part has its agency, assignee, task,
deadline and its agency's contribution."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from signals_app.models.signal import Signal


class SignalPart(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("In work")
        DONE = "done", _("Done")
        CLOSED = "closed", _("Closed without an answer")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="parts", verbose_name=_("signal")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="signal_parts",
        verbose_name=_("co-executor"),
    )  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("assignee"),
    )  # fmt: skip
    task = models.TextField(_("what is asked"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    answer = models.TextField(_("the co-executor's answer"), blank=True)
    closed_reason = models.TextField(_("why closed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("given by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("given at"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("ended by"),
    )  # fmt: skip
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    overdue_told_at = models.DateTimeField(_("lateness told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-executor's part")
        verbose_name_plural = _("co-executors' parts")
        ordering = ["signal", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "agency"], condition=Q(state="open"),
                name="part_one_open_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(ended_at__isnull=False), name="part_ended_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(state="done") | ~Q(answer=""), name="part_done_has_answer"
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["agency", "state"], name="part_agency_state_idx"),
            models.Index(
                fields=["due_at"], name="part_open_due_idx",
                condition=Q(state="open", overdue_told_at__isnull=True),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.signal_id}: {self.agency_id}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.state == self.State.OPEN and self.due_at < timezone.now()
