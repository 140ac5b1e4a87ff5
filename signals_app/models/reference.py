"""The region's rubricator and its configured intakes (sources)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
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


class Polled(models.Model):
    """What a poller reads (`ingest.polling.poll_each`): on or off, when it was last read, and
    why the last reading failed."""

    is_active = models.BooleanField(_("active"), default=True)
    polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


class Mailbox(Polled):
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


class OkGroup(Polled):
    """The Odnoklassniki group whose comments under its posts an OK source reads (OK's REST
    API: the Bot API's webhooks carry the chat only), and answers under them as the group."""

    source = models.OneToOneField(
        Source,
        on_delete=models.CASCADE,
        related_name="ok_group",
        verbose_name=_("source"),
        limit_choices_to={"channel": "ok"},
    )
    group_id = models.CharField(
        _("group id"),
        max_length=20,
        validators=[RegexValidator(r"^\d{1,20}$", _("The group's number, digits only."))],
        help_text=_("The number in the group's address: ok.ru/group/<number>."),
    )
    application_key = models.CharField(
        _("application's public key"), max_length=64,
        help_text=_("From the OK application's settings (its «публичный ключ»)."),
    )  # fmt: skip
    application_secret = models.CharField(
        _("application's secret key"), max_length=128, blank=True,
        help_text=_("Never shown in lists."),
    )  # fmt: skip
    access_token = models.CharField(
        _("administrator's access token"), max_length=300, blank=True,
        help_text=_("A token of a group administrator with the GROUP_CONTENT and VALUABLE_ACCESS "
                    "rights. Never shown in lists."),
    )  # fmt: skip
    days = models.PositiveSmallIntegerField(
        _("days of posts read"), default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Comments are read under the group's posts of this many last days."),
    )  # fmt: skip
    connected_at = models.DateTimeField(
        _("connected at"), auto_now_add=True,
        help_text=_("Comments written before it are not turned into signals."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("Odnoklassniki group")
        verbose_name_plural = _("Odnoklassniki groups")
        ordering = ["source"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=90), name="okgroup_days_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"ok.ru/group/{self.group_id}"


class OkTopic(models.Model):
    """What the poller last saw under one post of an OK group: how many comments, when it read
    them, and a digest of each comment's text (edits and deletions are told by the change)."""

    group = models.ForeignKey(
        OkGroup, on_delete=models.CASCADE, related_name="topics", verbose_name=_("group")
    )
    topic_id = models.CharField(_("post id"), max_length=40)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    known = models.JSONField(_("comments seen"), default=dict, blank=True)

    class Meta:
        verbose_name = _("read post of an OK group")
        verbose_name_plural = _("read posts of OK groups")
        constraints = [
            models.UniqueConstraint(fields=["group", "topic_id"], name="oktopic_unique"),
        ]

    def __str__(self) -> str:
        return self.topic_id
