"""Signals and everything around them: categories, sources, the inbox, events, replies."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, OfficialPage, Region
from signals_app.choices import OPEN_STATUSES, Channel, Priority, Status


class Category(models.Model):
    """The rubricator: two levels per region (topic → subtopic)."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="categories", verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("topic"),
    )
    level = models.PositiveSmallIntegerField(
        _("level"), default=1, editable=False, help_text=_("1 — topic, 2 — subtopic.")
    )
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    default_priority = models.CharField(
        _("default priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["region", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="category_unique_code"),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level=2, parent__isnull=False),
                name="category_two_levels",
            ),
            models.UniqueConstraint(fields=["id", "region"], name="category_id_region"),
            # Target of the subtopic → topic composite key that forbids a third level.
            models.UniqueConstraint(
                fields=["id", "region", "level"], name="category_id_region_level"
            ),
        ]

    def __str__(self) -> str:
        if self.parent is not None:
            return f"{self.parent.name} → {self.name}"
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Derived field, not domain flow: the level follows from having a parent.
        self.level = 2 if self.parent_id else 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.parent is not None:
            if self.parent.parent_id:
                raise ValidationError({"parent": _("A subtopic cannot have subtopics.")})
            if self.parent.region_id != self.region_id:
                raise ValidationError({"parent": _("The topic belongs to another region.")})


class Source(models.Model):
    """One configured intake: a channel with its secret, page or agency."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="sources", verbose_name=_("region")
    )
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    secret = models.CharField(
        _("secret or token"), max_length=200, blank=True, help_text=_("Never shown in lists.")
    )
    reply_token = models.CharField(
        _("token for answers"),
        max_length=300,
        blank=True,
        help_text=_(
            "VK: the community's access token (wall and messages rights); Telegram: the bot's "
            "token. Published replies go back through it. Never shown in lists."
        ),
    )
    confirmation_code = models.CharField(
        _("confirmation string"),
        max_length=64,
        blank=True,
        help_text=_("VK Callback API answers the confirmation event with it."),
    )
    official_page = models.ForeignKey(
        OfficialPage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
        verbose_name=_("official page"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
        verbose_name=_("agency"),
    )
    column_mapping = models.JSONField(
        _("file columns"),
        default=dict,
        blank=True,
        help_text=_(
            'For file imports: field → column header, e.g. {"text": "Текст обращения", '
            '"external_id": "Номер"}. Fields not given are found by their usual headers.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return self.name


class InboundMessage(models.Model):
    """Every payload that arrived, stored verbatim before anything else happens."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="inbound_messages", verbose_name=_("source")
    )
    external_id = models.CharField(_("external id"), max_length=200)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_default=Now())
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    signal = models.ForeignKey(
        "Signal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("signal"),
    )

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="inbound_unique_external"
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="inbound_external_id_not_empty"
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inbound_pending_idx",
                condition=Q(state__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}:{self.external_id}"


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
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="russian"),
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
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class SignalEvent(models.Model):
    """Append-only timeline entry; a database trigger refuses updates and deletes."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS_CHANGED = "status_changed", _("Status changed")
        ROUTED = "routed", _("Routed to an agency")
        ASSIGNED = "assigned", _("Assigned")
        TAKEN = "taken", _("Taken into work")
        CATEGORY_CHANGED = "category_changed", _("Category changed")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        CHANNEL_CHANGED = "channel_changed", _("Channel changed")
        TEXT_EDITED = "text_edited", _("Edited by the author")
        DELETED_AT_SOURCE = "deleted_at_source", _("Deleted by the author at the source")
        REPLY_SUBMITTED = "reply_submitted", _("Reply submitted for review")
        REPLY_APPROVED = "reply_approved", _("Reply approved and published")
        REPLY_RETURNED = "reply_returned", _("Reply returned for rework")
        REPLY_EDITED = "reply_edited", _("Reply edited by the reviewer")
        NOTE_ADDED = "note_added", _("Note added")
        MERGED = "merged", _("Merged into a mass incident")
        MASS_INCIDENT = "mass_incident", _("Became a mass incident")
        SLA_ASSIGNED = "sla_assigned", _("Deadlines set")
        SLA_RECOMPUTED = "sla_recomputed", _("Deadlines recomputed")
        SLA_PAUSED = "sla_paused", _("Deadlines paused")
        SLA_RESUMED = "sla_resumed", _("Deadlines resumed")
        SLA_EXTENDED = "sla_extended", _("Deadline extended")
        ESCALATED = "escalated", _("Escalated")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="events", verbose_name=_("signal")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty means the system."),
    )
    from_status = models.CharField(
        _("from status"), max_length=16, choices=Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=16, choices=Status.choices, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("signal event")
        verbose_name_plural = _("signal events")
        ordering = ["signal", "created_at", "id"]
        indexes = [
            models.Index(fields=["signal", "created_at"], name="event_signal_time_idx"),
            models.Index(fields=["kind", "created_at"], name="event_kind_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="status_changed") | (~Q(from_status="") & ~Q(to_status="")),
                name="event_status_change_has_statuses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.kind}"


class Reply(models.Model):
    """A public answer to the citizen, reviewed by the centre before publication."""

    class Kind(models.TextChoices):
        INTERIM = "interim", _("Interim")
        FINAL = "final", _("Final")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned for rework")
        PUBLISHED = "published", _("Approved and published")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="replies", verbose_name=_("signal")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FINAL)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("author"),
    )
    last_editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("last edited by"),
        help_text=_("The author, or the reviewer who changed the text: neither approves it."),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("reviewer"),
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["signal", "created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="reply_text_not_empty"),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="reply_published_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(review_comment=""),
                name="reply_returned_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.get_kind_display()} {self.get_state_display()}"


class Note(models.Model):
    """An internal comment, never shown to the citizen."""

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="notes", verbose_name=_("signal")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["signal", "created_at"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="note_text_not_empty")]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.created_at:%d.%m.%Y %H:%M}"


class Attachment(models.Model):
    """A file sent with a signal (or a link to one), with its checksum and size."""

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("signal")
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/", blank=True)
    url = models.URLField(_("original URL"), max_length=1000, blank=True)
    name = models.CharField(_("file name"), max_length=300)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.BigIntegerField(_("size, bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["signal", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url=""), name="attachment_file_or_url"
            ),
            models.CheckConstraint(
                condition=Q(size__isnull=True) | Q(size__gte=0), name="attachment_size_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="attachment_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        return self.name


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


# The SLA and rule models live in their own modules; importing them registers them here.
from signals_app.ingest.models import (  # noqa: E402
    ClassificationRule,
    ImportJob,
    MassIncidentProposal,
    RoutingRule,
    TextClassifier,
)
from signals_app.outbound.models import (  # noqa: E402
    DeliveryAttempt,
    ReplyDelivery,
    WebhookDelivery,
    WebhookSubscription,
)
from signals_app.sla.models import (  # noqa: E402
    DeadlineKind,
    Escalation,
    EscalationStep,
    Notification,
    SLAPolicy,
    SLAPolicyVersion,
)

__all__ = [
    "Attachment",
    "Category",
    "ClassificationRule",
    "DeadlineKind",
    "DeliveryAttempt",
    "Escalation",
    "EscalationStep",
    "ImportJob",
    "InboundMessage",
    "MassIncidentProposal",
    "Note",
    "Notification",
    "Reply",
    "ReplyDelivery",
    "RoutingRule",
    "SLAPolicy",
    "SLAPolicyVersion",
    "Signal",
    "SignalEvent",
    "SignalNumberCounter",
    "Source",
    "TextClassifier",
    "WebhookDelivery",
    "WebhookSubscription",
]


class AnswerTemplate(models.Model):
    """A reusable reply text, owned by the user who wrote it, optionally shared in the region.

    The text may hold {number}, {date}, {agency} and {address}; they are filled in from the
    signal when the template is inserted into a reply.
    """

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="answer_templates",
        verbose_name=_("owner"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("A topic covers its subtopics; empty means any category."),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    is_shared = models.BooleanField(
        _("shared"), default=False, help_text=_("Colleagues in the region may use it.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "title"], name="answer_template_unique_title"),
            models.CheckConstraint(condition=~Q(text=""), name="answer_template_text_not_empty"),
        ]
        indexes = [models.Index(fields=["region", "is_shared"], name="answer_template_region_idx")]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """A named queue filter (the query string of the list page), private or shared."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("A shared view is offered to the users of this region."),
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    is_shared = models.BooleanField(_("shared"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name"),
        ]
        indexes = [models.Index(fields=["region", "is_shared"], name="saved_view_region_idx")]

    def __str__(self) -> str:
        return self.name
