"""Regions, territories, agencies, staff and working calendars.

This app imports nothing from the others: signals_app and reports depend on it, not back.
"""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Refuse a name that is not an IANA time zone."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


class Role(models.TextChoices):
    """Control-centre roles, stored as Django groups of the same name."""

    ANALYST = "analyst", _("Analyst")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Helps residents vote («высказать мнение»): records votes with their verification.
    VOLUNTEER = "volunteer", _("Volunteer")


class Region(models.Model):
    code = models.CharField(
        _("code"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^\d{2,3}$", _("Two or three digits."))],
    )
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], default="Europe/Moscow"
    )
    survey_days = models.PositiveSmallIntegerField(
        _("days to say whether it is solved"), default=14, db_default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("How long after the final answer the citizen may say whether it is solved."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^\d{2,3}$"), name="region_code_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Municipality(models.Model):
    class Kind(models.TextChoices):
        CITY_DISTRICT = "city_district", _("City district")
        MUNICIPAL_DISTRICT = "municipal_district", _("Municipal district")
        MUNICIPAL_OKRUG = "municipal_okrug", _("Municipal okrug")
        URBAN_SETTLEMENT = "urban_settlement", _("Urban settlement")
        RURAL_SETTLEMENT = "rural_settlement", _("Rural settlement")
        INNER_DISTRICT = "inner_district", _("Inner city district")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    oktmo = models.CharField(
        _("OKTMO code"),
        max_length=11,
        unique=True,
        validators=[RegexValidator(r"^(\d{8}|\d{11})$", _("OKTMO has 8 or 11 digits."))],
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty means the time zone of the region."),
    )
    population = models.PositiveIntegerField(
        _("population"),
        null=True,
        blank=True,
        help_text=_("Residents; the turnout of a vote is counted against it."),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["region", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(oktmo__regex=r"^(\d{8}|\d{11})$"), name="municipality_oktmo_digits"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="municipality_not_own_parent"
            ),
            models.UniqueConstraint(
                fields=["region", "parent", "name"],
                name="municipality_unique_name_in_parent",
                nulls_distinct=False,
            ),
            # Target of the composite foreign keys that keep children in their region.
            models.UniqueConstraint(fields=["id", "region"], name="municipality_id_region"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.region.time_zone

    def clean(self) -> None:
        if self.parent is not None and self.parent.region_id != self.region_id:
            raise ValidationError({"parent": _("The parent belongs to another region.")})


class WorkCalendar(models.Model):
    """Weekly working hours plus dated exceptions (holidays, transfers, short days)."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="calendars", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(
        _("default for the region"),
        default=False,
        help_text=_("Used by agencies that have no calendar of their own."),
    )

    class Meta:
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="calendar_unique_name"),
            models.UniqueConstraint(
                fields=["region"], condition=Q(is_default=True), name="calendar_one_default"
            ),
            models.UniqueConstraint(fields=["id", "region"], name="calendar_id_region"),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday; lunch is the gap between two periods."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="periods", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="period_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="period_weekday_range"
            ),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"], name="period_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A dated exception to the weekly hours."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        DAY_OFF = "day_off", _("Day off (transferred or regional)")
        WORKING = "working", _("Working day (e.g. a working Saturday)")
        SHORTENED = "shortened", _("Shortened pre-holiday day")

    class Origin(models.TextChoices):
        SYNC = "sync", _("Production calendar sync")
        MANUAL = "manual", _("Entered by hand")

    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    shortened_by_minutes = models.PositiveSmallIntegerField(
        _("shortened by, minutes"), default=0, help_text=_("For shortened days only.")
    )
    origin = models.CharField(
        _("origin"), max_length=8, choices=Origin.choices, default=Origin.MANUAL
    )

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique"),
            models.CheckConstraint(
                condition=Q(kind="shortened", shortened_by_minutes__gt=0)
                | (~Q(kind="shortened") & Q(shortened_by_minutes=0)),
                name="calendar_day_shortened_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.get_kind_display()}"


class Agency(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Regional ministry or department")
        MUNICIPAL_ADMINISTRATION = "municipal_admin", _("Municipal administration")
        SCHOOL = "school", _("School")
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        HOSPITAL = "hospital", _("Hospital or clinic")
        UTILITY = "utility", _("Utility company")
        TRANSPORT = "transport", _("Transport operator")
        FEDERAL = "federal", _("Federal body")
        OTHER = "other", _("Other")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent agency"),
    )
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    synonyms = models.CharField(
        _("synonyms"),
        max_length=500,
        blank=True,
        help_text=_("Other names analysts type to find it when routing, separated by commas."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        verbose_name=_("territory"),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty means the region's time zone."),
    )
    calendar = models.ForeignKey(
        WorkCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        verbose_name=_("work calendar"),
        help_text=_("Empty means the region's default calendar."),
    )
    ogrn = models.CharField(
        _("OGRN"),
        max_length=13,
        blank=True,
        validators=[RegexValidator(r"^\d{13}$", _("OGRN has 13 digits."))],
    )
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["region", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ogrn="") | Q(ogrn__regex=r"^\d{13}$"), name="agency_ogrn_digits"
            ),
            models.UniqueConstraint(
                fields=["ogrn"], condition=~Q(ogrn=""), name="agency_ogrn_unique"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="agency_not_own_parent"
            ),
            models.UniqueConstraint(fields=["region", "name"], name="agency_unique_name"),
            models.UniqueConstraint(fields=["id", "region"], name="agency_id_region"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.region.time_zone

    def clean(self) -> None:
        errors = {}
        if self.parent is not None and self.parent.region_id != self.region_id:
            errors["parent"] = _("The parent agency belongs to another region.")
        if self.municipality is not None and self.municipality.region_id != self.region_id:
            errors["municipality"] = _("The territory belongs to another region.")
        if self.calendar is not None and self.calendar.region_id != self.region_id:
            errors["calendar"] = _("The calendar belongs to another region.")
        if errors:
            raise ValidationError(errors)


class OfficialPage(models.Model):
    """An agency's page in a social network: a comment there routes to that agency."""

    class Network(models.TextChoices):
        VK = "vk", _("VK")
        OK = "ok", _("Odnoklassniki")
        TELEGRAM = "telegram", _("Telegram")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="official_pages", verbose_name=_("agency")
    )
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    external_id = models.CharField(
        _("group id"), max_length=64, help_text=_("Group or channel id in the network.")
    )
    url = models.URLField(_("URL"), max_length=500)
    name = models.CharField(_("name"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("official page")
        verbose_name_plural = _("official pages")
        ordering = ["network", "name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "external_id"], name="official_page_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.url


class User(AbstractUser):
    """A member of staff: control-centre roles are groups, agency roles are memberships."""

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty means the time zone of the user's region."),
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="staff",
        verbose_name=_("regions"),
        help_text=_("Regions a control-centre user works with."),
    )
    curated_municipalities = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="curators",
        verbose_name=_("curated municipalities"),
    )
    is_demo = models.BooleanField(
        _("demo account"), default=False, help_text=_("Refused in production mode.")
    )
    # The queue as the user arranged it (signals_app/ui/columns.py): empty means the default.
    queue_columns = models.JSONField(_("queue columns"), default=list, blank=True)
    queue_density = models.CharField(
        _("queue density"),
        max_length=12,
        choices=[("comfortable", _("Comfortable")), ("compact", _("Compact"))],
        default="comfortable",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @cached_property
    def role_names(self) -> frozenset[str]:
        """Names of the control-centre groups the user belongs to (cached per instance)."""
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    def __str__(self) -> str:
        """«Мария Исполнителева (executor)»: pickers name people, not bare logins."""
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class Membership(models.Model):
    """A user's place in an agency."""

    class Role(models.TextChoices):
        EXECUTOR = "executor", _("Executor")
        COORDINATOR = "coordinator", _("Coordinator")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agency")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.EXECUTOR)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.agency} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal token for the REST API: the secret is shown once and only its hash is kept.

    The token reads `cur_<prefix>_<secret>`; the prefix finds the row, the SHA-256 of the whole
    token is compared in constant time. It acts with its user's rights and expires.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    digest = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
