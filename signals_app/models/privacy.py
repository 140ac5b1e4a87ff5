"""Personal data by law (152-FZ): how long a region keeps its citizens' data, and the log of every
removal and of every look at one citizen's data — what, when, which rule, never the data."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Region


class RetentionPolicy(models.Model):
    """How long one region keeps what its citizens gave, counted from the end of the work (the
    answer, the closing or the rejection: `Signal.finished_at`).

    Only the personal data goes: the authors' names, profiles, contacts and dialogues, the raw
    payloads, the subscribers' addresses, the files. The signal, its text, category, agency,
    deadlines and timeline stay, so the reports and statistics come out the same.
    """

    region = models.OneToOneField(
        Region, on_delete=models.CASCADE, related_name="retention", verbose_name=_("region")
    )
    is_active = models.BooleanField(
        _("applied"), default=False,
        help_text=_("Off: the nightly run only counts what it would remove (a dry run)."),
    )  # fmt: skip
    authors_years = models.PositiveSmallIntegerField(
        _("authors' data kept, years"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(75)],
        help_text=_("The name, profile, contact and raw message of the author are removed this "
                    "many years after the work on the signal ended."),
    )  # fmt: skip
    attachments_years = models.PositiveSmallIntegerField(
        _("files kept, years"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(75)],
        help_text=_("Photos and files are deleted this many years after the work ended."),
    )  # fmt: skip
    rejected_months = models.PositiveSmallIntegerField(
        _("rejected signals kept, months"), default=6,
        validators=[MinValueValidator(1), MaxValueValidator(900)],
        help_text=_("Spam and other rejected signals lose their author's data and files this "
                    "many months after the rejection."),
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return str(self.region)


class PersonalDataLog(models.Model):
    """One removal or one look at a citizen's data: which signals, by which rule or request,
    when and by whom; the data itself is never written here (a search is kept as a keyed hash)."""

    class Action(models.TextChoices):
        AUTHORS = "authors", _("Authors' data removed by the retention policy")
        ATTACHMENTS = "attachments", _("Files deleted by the retention policy")
        REJECTED = "rejected", _("Rejected signals cleared by the retention policy")
        SEARCHED = "searched", _("A citizen's data looked up on request")
        EXPORTED = "exported", _("A citizen's data exported on request")
        ANONYMISED = "anonymised", _("A citizen's data removed on request")

    at = models.DateTimeField(_("at"), db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("region"),
    )  # fmt: skip
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )  # fmt: skip
    rule = models.CharField(_("rule or request"), max_length=200)
    # A look-up's keyed hash: the same citizen's requests can be told apart from others'.
    subject_hash = models.CharField(_("citizen's hash"), max_length=64, blank=True)
    signal_ids = ArrayField(models.BigIntegerField(), default=list, verbose_name=_("signals"))
    count = models.PositiveIntegerField(_("items"), default=0)

    class Meta:
        verbose_name = _("personal data log entry")
        verbose_name_plural = _("personal data log")
        ordering = ["-at", "-id"]
        permissions = [
            ("subject_access", _("Can find, export and remove one citizen's personal data")),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.at:%Y-%m-%d %H:%M}"
