"""The region's rubricator and its configured intakes (sources)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, OfficialPage, Region
from signals_app.choices import Channel, Priority


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
    bot_username = models.CharField(
        _("bot's username"),
        max_length=64,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Za-z][A-Za-z0-9_]{3,63}$", _("Letters, digits and _, without @."))
        ],
        help_text=_(
            "Telegram: the bot's username without @. Given, widget authors are offered the news "
            "of their appeal in Telegram through this bot."
        ),
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


class Mailbox(models.Model):
    """An IMAP mailbox an e-mail source reads (59-FZ appeals): new messages become signals,
    answers go back by SMTP from its address, threaded to the citizen's message."""

    class Security(models.TextChoices):
        SSL = "ssl", _("IMAPS (TLS from the start, port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        PLAIN = "plain", _("Unencrypted (a local network only)")

    source = models.OneToOneField(
        Source,
        on_delete=models.CASCADE,
        related_name="mailbox",
        verbose_name=_("source"),
        limit_choices_to={"channel": "email"},
    )
    host = models.CharField(_("IMAP server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("connection"), max_length=16, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("login"), max_length=255)
    password = models.CharField(
        _("password"), max_length=300, blank=True, help_text=_("Never shown in lists.")
    )
    folder = models.CharField(_("folder to read"), max_length=255, default="INBOX")
    done_folder = models.CharField(
        _("folder for stored messages"),
        max_length=255,
        blank=True,
        help_text=_("Empty: a stored message is only marked as read and stays in its folder."),
    )
    address = models.EmailField(
        _("reply address"),
        blank=True,
        help_text=_("Answers are sent from it, so that the citizen's reply comes back here."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["source"]
        constraints = [
            models.CheckConstraint(
                condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"

    @property
    def reply_address(self) -> str:
        return self.address or (self.username if "@" in self.username else "")
