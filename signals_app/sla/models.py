"""SLA policies, their versions and escalation ladders; fired escalations; notifications."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Region
from signals_app.choices import Channel, Priority, Status
from signals_app.sla.clock import Clock, ClockStart


class DeadlineKind(models.TextChoices):
    REACTION = "reaction", _("Reaction")
    ANSWER = "answer", _("Answer")
    RESOLUTION = "resolution", _("Resolution")


CLOCK_CHOICES = [
    (Clock.CALENDAR.value, _("Calendar time")),
    (Clock.WORKING_HOURS.value, _("Working hours")),
    (Clock.WORKING_DAYS.value, _("Working days")),
]


CLOCK_START_CHOICES = [
    (ClockStart.SOURCE.value, _("The source's moment (when it was posted or registered there)")),
    (ClockStart.RECEIPT.value, _("Receipt (registration in the centre)")),
]


def default_pausing_statuses() -> list[str]:
    return ["awaiting_info"]


class SLAPolicy(models.Model):
    """Deadlines for the signals it matches: region, channels, category, priority.

    The most specific match wins (channel, category — a subtopic over its topic — and priority
    each count), then the lower `order`. Every saved edit is a new version; a signal keeps the
    version it was given until an explicit recalculation.
    """

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="sla_policies", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=200)
    channels = ArrayField(
        models.CharField(max_length=16),
        blank=True,
        default=list,
        verbose_name=_("channels"),
        help_text=_("Empty means every channel."),
    )
    category = models.ForeignKey(
        "signals_app.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("category"),
        help_text=_("A topic also covers its subtopics. Empty means every category."),
    )
    priority = models.CharField(
        _("priority"), max_length=16, blank=True, help_text=_("Empty means every priority.")
    )
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    clock_start = models.CharField(
        _("the clock starts at"),
        max_length=16,
        choices=CLOCK_START_CHOICES,
        default=ClockStart.RECEIPT.value,
        help_text=_(
            "The source's moment is never later than receipt; without one (or with one in the "
            "future) the clock starts at receipt."
        ),
    )
    reaction_duration = models.DurationField(_("reaction time"), null=True, blank=True)
    reaction_clock = models.CharField(
        _("reaction clock"), max_length=16, choices=CLOCK_CHOICES, default=Clock.WORKING_HOURS
    )
    answer_duration = models.DurationField(_("answer time"), null=True, blank=True)
    answer_clock = models.CharField(
        _("answer clock"), max_length=16, choices=CLOCK_CHOICES, default=Clock.WORKING_HOURS
    )
    resolution_duration = models.DurationField(_("resolution time"), null=True, blank=True)
    resolution_clock = models.CharField(
        _("resolution clock"), max_length=16, choices=CLOCK_CHOICES, default=Clock.WORKING_DAYS
    )
    pausing_statuses = ArrayField(
        models.CharField(max_length=16),
        default=default_pausing_statuses,
        blank=True,
        verbose_name=_("statuses that pause the clock"),
    )
    extension_duration = models.DurationField(
        _("extension"),
        null=True,
        blank=True,
        help_text=_("Empty: the deadline cannot be extended."),
    )
    extension_clock = models.CharField(
        _("extension clock"), max_length=16, choices=CLOCK_CHOICES, default=Clock.CALENDAR
    )
    info_wait_duration = models.DurationField(
        _("waiting for the citizen's details"), default=timedelta(days=3),
        db_default=timedelta(days=3),
        help_text=_("With no answer to a question in this time, the signal is closed as "
                    "«details not received»."),
    )  # fmt: skip
    info_wait_clock = models.CharField(
        _("waiting clock"), max_length=16, choices=CLOCK_CHOICES, default=Clock.WORKING_DAYS,
        db_default=Clock.WORKING_DAYS.value,
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["region", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="sla_policy_unique_name"),
            models.CheckConstraint(
                condition=Q(reaction_duration__isnull=True) | Q(reaction_duration__gt=timedelta(0)),
                name="sla_policy_reaction_positive",
                violation_error_message=_("A deadline must be longer than zero."),
            ),
            models.CheckConstraint(
                condition=Q(answer_duration__isnull=True) | Q(answer_duration__gt=timedelta(0)),
                name="sla_policy_answer_positive",
                violation_error_message=_("A deadline must be longer than zero."),
            ),
            models.CheckConstraint(
                condition=Q(resolution_duration__isnull=True)
                | Q(resolution_duration__gt=timedelta(0)),
                name="sla_policy_resolution_positive",
                violation_error_message=_("A deadline must be longer than zero."),
            ),
            models.CheckConstraint(
                condition=Q(info_wait_duration__gt=timedelta(0)),
                name="sla_policy_info_wait_positive",
                violation_error_message=_("A deadline must be longer than zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        unknown = sorted(set(self.channels) - set(Channel.values))
        if unknown:
            errors["channels"] = _("Unknown channels: %(names)s") % {"names": ", ".join(unknown)}
        unknown = sorted(set(self.pausing_statuses) - set(Status.values))
        if unknown:
            errors["pausing_statuses"] = _("Unknown statuses: %(names)s") % {
                "names": ", ".join(unknown)
            }
        if self.priority and self.priority not in Priority.values:
            errors["priority"] = str(_("Unknown priority."))
        if (
            self.category_id
            and self.category is not None
            and self.category.region_id != self.region_id
        ):
            errors["category"] = str(_("The category belongs to another region."))
        if errors:
            raise ValidationError(errors)


class EscalationStep(models.Model):
    """One rung of a policy's ladder: when (a share of the deadline, or time after breach),
    whom (a target) and what (notify, raise priority, flag overdue)."""

    class Target(models.TextChoices):
        ASSIGNEE = "assignee", _("Assignee (or the agency's coordinators if none)")
        COORDINATORS = "coordinators", _("Agency coordinators")
        CURATORS = "curators", _("Curators of the municipality at the centre")
        SUPERVISORS = "supervisors", _("Supervisors of the region")

    policy = models.ForeignKey(
        SLAPolicy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("policy")
    )
    deadline = models.CharField(
        _("deadline"), max_length=16, choices=DeadlineKind.choices, default=DeadlineKind.ANSWER
    )
    level = models.PositiveSmallIntegerField(_("level"))
    at_percent = models.PositiveSmallIntegerField(
        _("at this share of the deadline, percent"), null=True, blank=True
    )
    after_breach = models.DurationField(_("after the breach"), null=True, blank=True)
    after_breach_clock = models.CharField(
        _("after-breach clock"), max_length=16, choices=CLOCK_CHOICES, default=Clock.WORKING_DAYS
    )
    target = models.CharField(_("whom"), max_length=16, choices=Target.choices)
    notify = models.BooleanField(_("notify"), default=True)
    raise_priority = models.BooleanField(_("raise priority"), default=False)
    flag_overdue = models.BooleanField(_("flag as overdue"), default=False)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["policy", "deadline", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "deadline", "level"], name="escalation_step_unique_level"
            ),
            models.CheckConstraint(
                condition=Q(at_percent__isnull=False, after_breach__isnull=True, at_percent__gt=0)
                | Q(at_percent__isnull=True, after_breach__isnull=False),
                name="escalation_step_one_threshold",
                violation_error_message=_(
                    "Give either a share of the deadline (above zero) or a delay after the "
                    "breach, not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1), name="escalation_step_level_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_deadline_display()} {self.level}"


class SLAPolicyVersion(models.Model):
    """A frozen copy of a policy and its ladder, as signals were given it."""

    policy = models.ForeignKey(
        SLAPolicy, on_delete=models.PROTECT, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version"))
    terms = models.JSONField(_("terms"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("SLA policy version")
        verbose_name_plural = _("SLA policy versions")
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="sla_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class Escalation(models.Model):
    """A ladder step that fired for a signal: unique, so a retry never fires it twice."""

    signal = models.ForeignKey(
        "signals_app.Signal",
        on_delete=models.PROTECT,
        related_name="escalations",
        verbose_name=_("signal"),
    )
    deadline = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    target = models.CharField(_("whom"), max_length=16, choices=EscalationStep.Target.choices)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    fired_at = models.DateTimeField(_("fired at"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["signal", "fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "deadline", "level", "cycle"], name="escalation_unique_step"
            ),
        ]
        indexes = [models.Index(fields=["fired_at"], name="escalation_fired_idx")]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.deadline} {self.level}"


class Notification(models.Model):
    """An in-app message to a user; e-mailed in digests."""

    # Kinds whose body is the address of what they tell of (an export, an early warning).
    LINK_KINDS = frozenset({"export", "webhook", "alert"})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    signal = models.ForeignKey(
        "signals_app.Signal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("signal"),
    )
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # The digest it is (being) sent in, and since when: see sla.notifications.
    digest_key = models.CharField(_("digest"), max_length=32, blank=True, default="", db_default="")
    email_claimed_at = models.DateTimeField(_("digest claimed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            models.Index(
                fields=["user", "created_at"],
                name="notification_unmailed_idx",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def body_is_link(self) -> bool:
        return self.kind in self.LINK_KINDS
