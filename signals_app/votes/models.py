"""«Высказать мнение»: the residents' vote for the landscaping objects of their town under the
programme «Формирование комфортной городской среды» (floor 1: the vocabulary).

A campaign per region and year; its municipalities, each with its objects; voters known only
by a keyed hash of their verified identity; votes that are replaced or annulled, never deleted;
every move of the campaign in its log.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Municipality, Region


class Phase(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    VOTING = "voting", _("Voting")
    COUNTING = "counting", _("Counting")
    PUBLISHED = "published", _("Results published")
    IMPLEMENTATION = "implementation", _("Implementation")


PHASE_ORDER = [phase.value for phase in Phase]


class Campaign(models.Model):
    """One region's vote of one year: its calendar, its rule, its phase."""

    class Winners(models.TextChoices):
        TOP = "top", _("The first N objects of each municipality")
        BUDGET = "budget", _("The most voted objects that fit the municipality's budget")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("region")
    )
    year = models.PositiveSmallIntegerField(
        _("year of the vote"), validators=[MinValueValidator(2018), MaxValueValidator(2100)]
    )
    title = models.CharField(_("title"), max_length=300)
    starts_on = models.DateField(
        _("voting starts"), help_text=_("At midnight of each municipality's own time zone.")
    )
    ends_on = models.DateField(
        _("voting ends"), help_text=_("The last day of voting, to its midnight, locally.")
    )
    choices = models.PositiveSmallIntegerField(
        _("objects a voter may choose"), default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("1: one object per voter in their municipality; more: up to that many."),
    )  # fmt: skip
    may_change = models.BooleanField(_("a vote may be changed while voting is open"), default=False)
    tallies_public = models.BooleanField(
        _("tallies shown to the public while voting runs"), default=False
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=14)
    winners = models.CharField(
        _("winners by"), max_length=16, choices=Winners.choices, default=Winners.TOP
    )
    winners_count = models.PositiveSmallIntegerField(
        _("winners per municipality"), default=1, validators=[MinValueValidator(1)]
    )
    phase = models.CharField(
        _("phase"), max_length=16, choices=Phase.choices, default=Phase.PREPARATION
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("voting campaign")
        verbose_name_plural = _("voting campaigns")
        ordering = ["region", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="campaign_region_year"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_window_ordered"
            ),
            models.CheckConstraint(condition=Q(phase__in=PHASE_ORDER), name="campaign_phase_known"),
            models.UniqueConstraint(fields=["id", "region"], name="campaign_id_region"),
        ]

    def __str__(self) -> str:
        return self.title


class Participation(models.Model):
    """A municipality taking part in a campaign: its budget for the budget rule."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="participations",
        verbose_name=_("campaign"),
    )  # fmt: skip
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="participations",
        verbose_name=_("municipality"),
    )  # fmt: skip
    budget = models.DecimalField(
        _("budget, roubles"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("For winners by budget: the most voted objects whose costs fit it."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("participating municipality")
        verbose_name_plural = _("participating municipalities")
        ordering = ["campaign", "municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "municipality"], name="participation_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.municipality)


class VoteObject(models.Model):
    """A public territory, yard or design project residents may vote for."""

    class Kind(models.TextChoices):
        TERRITORY = "territory", _("Public territory")
        YARD = "yard", _("Yard")
        DESIGN = "design", _("Design project")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="objects_voted",
        verbose_name=_("campaign"),
    )  # fmt: skip
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="vote_objects",
        verbose_name=_("municipality"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=300)
    address = models.CharField(_("address"), max_length=500, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )  # fmt: skip
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )  # fmt: skip
    description = models.TextField(_("description"), blank=True)
    build_year = models.PositiveSmallIntegerField(
        _("year it would be built"), validators=[MinValueValidator(2018), MaxValueValidator(2100)]
    )
    cost = models.DecimalField(
        _("estimated cost, roubles"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="vote_objects",
        verbose_name=_("responsible agency"),
    )  # fmt: skip
    is_winner = models.BooleanField(_("winner"), default=False)
    is_active = models.BooleanField(
        _("on the ballot"), default=True, help_text=_("Withdrawn objects keep their votes.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("object of the vote")
        verbose_name_plural = _("objects of the vote")
        ordering = ["campaign", "municipality__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "municipality", "name"], name="vote_object_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="vote_object_cost_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A step of a winner's implementation, shown on the public page."""

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Contract signed")
        STARTED = "started", _("Works started")
        DONE = "done", _("Done")

    vote_object = models.ForeignKey(
        VoteObject, on_delete=models.CASCADE, related_name="milestones",
        verbose_name=_("object"),
    )  # fmt: skip
    kind = models.CharField(_("step"), max_length=16, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recorded by"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["vote_object", "happened_on"]
        constraints = [
            models.UniqueConstraint(fields=["vote_object", "kind"], name="milestone_once"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class ObjectPhoto(models.Model):
    """A photo of an object (its design) or of a milestone (the works), checked like the
    widget's: JPEG or PNG by their first bytes, at most 5 MB, with size and SHA-256."""

    vote_object = models.ForeignKey(
        VoteObject, on_delete=models.CASCADE, related_name="photos", verbose_name=_("object")
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="photos",
        verbose_name=_("milestone"),
    )  # fmt: skip
    file = models.FileField(_("file"), upload_to="votes/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["vote_object", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="object_photo_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.caption or self.file.name


class Voter(models.Model):
    """A verified resident, known only by a keyed hash of their identity (no names): enough to
    refuse a second vote. Age and municipality as the identity provider verified them, or as
    the resident declared them."""

    class Method(models.TextChoices):
        OIDC = "oidc", _("Gosuslugi (OpenID Connect)")
        PHONE = "phone", _("One-time code by SMS")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="voters", verbose_name=_("campaign")
    )
    identity = models.CharField(_("identity hash"), max_length=64)
    method = models.CharField(_("verified by"), max_length=8, choices=Method.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    municipality_declared = models.BooleanField(_("municipality declared"), default=True)
    age_declared = models.BooleanField(_("age declared"), default=True)
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "identity"], name="voter_once"),
            models.CheckConstraint(
                condition=Q(identity__regex=r"^[0-9a-f]{64}$"), name="voter_identity_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.identity[:12]


class Vote(models.Model):
    """One choice of a voter: counted, replaced by a later choice, or annulled (with why and by
    whom). Never deleted; the constraints keep one counted vote per slot and per object."""

    class State(models.TextChoices):
        COUNTED = "counted", _("Counted")
        REPLACED = "replaced", _("Replaced by a later choice")
        ANNULLED = "annulled", _("Annulled")

    class Origin(models.TextChoices):
        WEB = "web", _("The resident on the web")
        VOLUNTEER = "volunteer", _("With a volunteer")
        POINT = "point", _("At a polling point")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="votes", verbose_name=_("campaign")
    )
    voter = models.ForeignKey(
        Voter, on_delete=models.PROTECT, related_name="votes", verbose_name=_("voter")
    )
    vote_object = models.ForeignKey(
        VoteObject, on_delete=models.PROTECT, related_name="votes", verbose_name=_("object")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    slot = models.PositiveSmallIntegerField(_("choice number"), default=1)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.COUNTED
    )
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices,
                              default=Origin.WEB)  # fmt: skip
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="assisted_votes", verbose_name=_("helper"),
    )  # fmt: skip
    cast_at = models.DateTimeField(_("cast at"))
    # Keyed hashes, never the address or the device itself: enough to see bursts.
    address = models.CharField(_("address hash"), max_length=16, blank=True)
    device = models.CharField(_("device hash"), max_length=16, blank=True)
    ended_at = models.DateTimeField(_("replaced or annulled at"), null=True, blank=True)
    annulled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("annulled by"),
    )  # fmt: skip
    annul_reason = models.TextField(_("why annulled"), blank=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["campaign", "cast_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["voter", "slot"], condition=Q(state="counted"), name="vote_one_per_slot"
            ),
            models.UniqueConstraint(
                fields=["voter", "vote_object"],
                condition=Q(state="counted"),
                name="vote_one_per_object",
            ),
            models.CheckConstraint(condition=Q(slot__gte=1, slot__lte=10), name="vote_slot_range"),
            models.CheckConstraint(
                condition=Q(origin="web", helper__isnull=True)
                | (~Q(origin="web") & Q(helper__isnull=False)),
                name="vote_helper_iff_assisted",
            ),
            models.CheckConstraint(
                condition=~Q(state="annulled") | (~Q(annul_reason="") & Q(ended_at__isnull=False)),
                name="vote_annulled_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "vote_object", "state"], name="vote_tally_idx"),
            models.Index(fields=["campaign", "cast_at"], name="vote_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.voter} → {self.vote_object}"


class CampaignEvent(models.Model):
    """The campaign's log: each phase move (by the calendar or by whom), each annulment, the
    publication of the winners. Written by `votes.services` only."""

    class Kind(models.TextChoices):
        PHASE = "phase", _("Phase moved")
        ANNULLED = "annulled", _("Votes annulled")
        WINNERS = "winners", _("Winners marked")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="events", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("by"), help_text=_("Empty: the calendar."),
    )  # fmt: skip
    details = models.JSONField(_("details"), default=dict)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
        ordering = ["campaign", "at", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def phase_after(self) -> str:
        """The phase a move led to, in words ("" for other events)."""
        after = self.details.get("after") if self.kind == self.Kind.PHASE else None
        return str(Phase(after).label) if after in PHASE_ORDER else ""
