"""The unit of work, and the counter its human numbers come from."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, Region
from signals_app import search
from signals_app.choices import OPEN_STATUSES, Channel, Priority, Status
from signals_app.models.reference import Category, Source


class Closure(models.TextChoices):
    """How a closed signal ended, where it was not by an answer."""

    NONE = "", _("—")
    NO_DETAILS = "no_details", _("Details not received")


class Signal(models.Model):
    """The unit of work: one citizen's complaint, followed to its answer."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="signals", verbose_name=_("region")
    )
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("source"),
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    external_url = models.URLField(_("link to the original"), max_length=1000, blank=True)
    thread_id = models.CharField(_("thread"), max_length=200, blank=True)
    # Personal data of the citizen: never logged, masked in exports for roles without access.
    author_name = models.CharField(_("author"), max_length=300, blank=True)
    author_profile_url = models.URLField(_("author's profile"), max_length=500, blank=True)
    author_contact = models.CharField(_("author's contact"), max_length=300, blank=True)
    text = models.TextField(_("text"))
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("municipality"),
    )
    address = models.CharField(_("address"), max_length=500, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("category"),
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, editable=False
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True, editable=False)
    closure = models.CharField(
        _("closed as"), max_length=16, choices=Closure.choices, blank=True, default="",
        db_default="", editable=False,
    )  # fmt: skip
    # The citizen's status page `/s/<number>/<public_key>/`: 122 random bits (a version 4
    # UUID, made by PostgreSQL for the rows that existed before it), no personal data behind it.
    public_key = models.UUIDField(
        _("status page key"), unique=True, default=uuid.uuid4, db_default=RandomUUID(),
        editable=False,
    )  # fmt: skip
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("agency"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_signals",
        verbose_name=_("assignee"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("mass incident"),
    )
    is_mass_incident = models.BooleanField(_("mass incident"), default=False)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        db_index=False,  # a partial index, built concurrently, is declared in Meta
    )
    deleted_at_source = models.DateTimeField(
        _("deleted at the source"),
        null=True,
        blank=True,
        help_text=_("The author removed the original."),
    )
    # Deadlines and their fulfilment; the SLA engine fills them.
    reaction_due_at = models.DateTimeField(_("reaction due"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    reacted_at = models.DateTimeField(_("reacted at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    next_deadline_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    is_overdue = models.BooleanField(_("overdue"), default=False, db_default=False)
    # SLA state: which policy version, since when, pauses, extension, the sweep's next check.
    sla_version = models.ForeignKey(
        "signals_app.SLAPolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("SLA policy version"),
    )
    sla_started_at = models.DateTimeField(_("SLA clock start"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_working = models.DurationField(
        _("paused working time"), default=timedelta(0), db_default=timedelta(0)
    )
    sla_paused_calendar = models.DurationField(
        _("paused calendar time"), default=timedelta(0), db_default=timedelta(0)
    )
    sla_extended_at = models.DateTimeField(_("deadline extended at"), null=True, blank=True)
    sla_cycle = models.PositiveSmallIntegerField(_("SLA cycle"), default=1, db_default=1)
    sla_next_check_at = models.DateTimeField(_("next SLA check"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # When the work ended (answered, closed or rejected; empty while open): the retention of
    # personal data counts from it. Written with the status, by the workflow only.
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)
    # The retention policy or a citizen's request removed the author's personal data.
    personal_data_removed_at = models.DateTimeField(
        _("personal data removed at"), null=True, blank=True, editable=False
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config=search.CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="signal_unique_source_external",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="signal_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^\d{2,3}-\d{4}-\d{6,}$"), name="signal_number_format"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="signal_status_known"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=[p.value for p in Priority]), name="signal_priority_known"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]), name="signal_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="signal_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="signal_not_own_parent"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="signal_version_positive"),
            models.CheckConstraint(condition=~Q(text=""), name="signal_text_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="in_progress") | Q(agency__isnull=False),
                name="signal_in_progress_has_agency",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="signal_status_idx"),
            models.Index(fields=["agency", "status"], name="signal_agency_status_idx"),
            models.Index(fields=["region", "-received_at"], name="signal_region_received_idx"),
            models.Index(fields=["-received_at", "-id"], name="signal_received_idx"),
            models.Index(
                fields=["next_deadline_at"],
                name="signal_next_deadline_idx",
                condition=Q(next_deadline_at__isnull=False),
            ),
            models.Index(fields=["assignee", "status"], name="signal_assignee_status_idx"),
            models.Index(fields=["category"], name="signal_category_idx"),
            models.Index(fields=["municipality"], name="signal_municipality_idx"),
            models.Index(fields=["parent"], name="signal_parent_idx"),
            # Repeats of the same text (near-duplicates), looked up by hash for many at once.
            models.Index(MD5("text"), name="signal_text_md5_idx"),
            models.Index(
                fields=["author_profile_url", "-received_at"],
                name="signal_author_recent_idx",
                condition=~Q(author_profile_url=""),
            ),
            models.Index(
                fields=["duplicate_of"],
                name="signal_duplicate_of_idx",
                condition=Q(duplicate_of__isnull=False),
            ),
            models.Index(
                fields=["sla_next_check_at"],
                name="signal_sla_check_idx",
                condition=Q(sla_next_check_at__isnull=False),
            ),
            GinIndex(fields=["search_vector"], name="signal_search_idx"),
            # The queue's default order, so that a page of a broad filter (a common word in a
            # search) is read in order instead of sorting every match.
            models.Index(
                F("next_deadline_at").asc(nulls_last=True),
                F("received_at").desc(),
                F("id").desc(),
                name="signal_queue_order_idx",
            ),
            # Related signals on the signal page: same address, same contact.
            models.Index(
                fields=["address", "-received_at"],
                name="signal_address_idx",
                condition=~Q(address=""),
            ),
            models.Index(
                fields=["author_contact", "-received_at"],
                name="signal_contact_idx",
                condition=~Q(author_contact=""),
            ),
            # The retention policy's nightly run: finished signals whose data is still held.
            models.Index(
                fields=["region", "finished_at"],
                name="signal_retention_idx",
                condition=Q(finished_at__isnull=False, personal_data_removed_at__isnull=True),
            ),
            # A new message on a thread finds the signal it continues (`ingest.process`).
            models.Index(
                fields=["thread_id"], name="signal_thread_idx", condition=~Q(thread_id="")
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class SignalNumberCounter(models.Model):
    """Per region and year, the last number handed out.

    Numbers are taken with ``UPDATE … RETURNING`` inside the creating transaction: the row lock
    serialises concurrent inserts and a rollback returns the number, so there are no gaps.
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("signal number counter")
        verbose_name_plural = _("signal number counters")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="signal_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id}-{self.year}: {self.last_value}"
