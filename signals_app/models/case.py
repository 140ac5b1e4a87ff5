"""What a signal's case holds: its timeline, its public replies, internal notes and files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signals_app.choices import Status
from signals_app.models.signal import Signal


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
        CITIZEN_ANSWERED = "citizen_answered", _("The citizen answered")
        # A new message of the author on the signal's own thread while it is open.
        CITIZEN_WROTE = "citizen_wrote", _("The citizen wrote again")
        SUBSCRIBED = "subscribed", _("A citizen with the same problem subscribed")
        SURVEY_ASKED = "survey_asked", _("Asked whether the problem is solved")
        SURVEY_NOT_ASKED = "survey_not_asked", _("Not asked whether the problem is solved")
        SURVEY_ANSWERED = "survey_answered", _("The citizen said whether the problem is solved")
        REOPEN_DECLINED = "reopen_declined", _("Reopen request declined")
        FORWARDED = "forwarded", _("Forwarded to an outside body")
        FORWARD_ANSWERED = "forward_answered", _("The outside body answered")
        FORWARD_OVERDUE = "forward_overdue", _("The outside body did not answer in time")
        PART_ADDED = "part_added", _("A part given to a co-executor")
        PART_DONE = "part_done", _("A co-executor answered its part")
        PART_CLOSED = "part_closed", _("A co-executor's part closed")
        PART_OVERDUE = "part_overdue", _("A co-executor's part is late")

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
        # «Запросить уточнение»: sent to the citizen at once, through the same outbox.
        QUESTION = "question", _("Question to the citizen")
        # «Проблема решена?» after the final answer (the citizen's loop).
        SURVEY = "survey", _("Survey")
        # What the centre tells the citizen of a decision: reopened, declined, closed.
        NOTICE = "notice", _("Notice to the citizen")
        # The answer's news to a citizen who subscribed to the signal (to their e-mail).
        FOLLOWER = "follower", _("Notice to a subscriber")
        # The letter that forwards the signal to an outside body (`models.outside.Forward`).
        FORWARD = "forward", _("Letter to an outside body")

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
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # A question waits for the citizen until then; unanswered, the signal is closed.
    wait_until = models.DateTimeField(_("waits for the citizen until"), null=True, blank=True)
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
        indexes = [
            models.Index(
                fields=["wait_until"],
                condition=Q(wait_until__isnull=False),
                name="reply_wait_until_idx",
            ),
        ]

    # What staff write as an answer (a question is asked by «Запросить уточнение» instead).
    WRITTEN_KINDS = (Kind.INTERIM, Kind.FINAL)
    # What the system sends by itself, published at once.
    SYSTEM_KINDS = (Kind.SURVEY, Kind.NOTICE, Kind.FOLLOWER)

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
