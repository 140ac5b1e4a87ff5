"""The citizen's side of a signal: «Проблема решена?» after an answer, the reopen request a «нет»
makes, and the citizens who asked not to be asked again."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Region
from signals_app.models.signal import Signal


class Survey(models.Model):
    """«Проблема решена?» for one signal and one cycle of its deadlines: asked once after the
    final answer is published, answered once (a second answer changes nothing), open for the
    region's number of days."""

    class State(models.TextChoices):
        ASKED = "asked", _("Asked")
        NOT_ASKED = "not_asked", _("Not asked")
        ANSWERED = "answered", _("Answered")

    class Via(models.TextChoices):
        PAGE = "page", _("Status page")
        TELEGRAM = "telegram", _("Telegram buttons")
        MAX = "max", _("MAX buttons")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("signal")
    )
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    reason = models.TextField(_("why not asked"), blank=True)
    # The message that asks (a published reply of the kind "survey"), when the channel carries one.
    question = models.OneToOneField(
        "signals_app.Reply", on_delete=models.PROTECT, null=True, blank=True, related_name="survey",
        verbose_name=_("question"),
    )  # fmt: skip
    asked_at = models.DateTimeField(_("asked at"))
    expires_at = models.DateTimeField(_("open until"))
    solved = models.BooleanField(_("solved"), null=True, blank=True)
    comment = models.TextField(_("citizen's comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_via = models.CharField(
        _("answered through"), max_length=16, choices=Via.choices, blank=True
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["signal", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["signal", "cycle"], name="survey_once_per_cycle"),
            models.CheckConstraint(
                condition=~Q(state="answered") | Q(solved__isnull=False, answered_at__isnull=False),
                name="survey_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(state="not_asked") | ~Q(reason=""), name="survey_not_asked_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered_idx")]

    def __str__(self) -> str:
        return f"{self.signal_id}/{self.cycle} {self.state}"


class ReopenRequest(models.Model):
    """A citizen's «нет, не решена»: the analysts confirm it (the signal reopens into a new
    cycle) or decline it with a reason; the citizen is told either way."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        CONFIRMED = "confirmed", _("Confirmed: reopened")
        DECLINED = "declined", _("Declined")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="reopen_requests", verbose_name=_("signal")
    )
    survey = models.OneToOneField(
        Survey, on_delete=models.PROTECT, related_name="reopen_request", verbose_name=_("survey")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    comment = models.TextField(_("citizen's comment"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason of the decision"), blank=True)

    class Meta:
        verbose_name = _("reopen request")
        verbose_name_plural = _("reopen requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(reason=""), name="reopen_declined_has_reason"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(state="pending"), name="reopen_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.state}"


class SurveyOptOut(models.Model):
    """A citizen who said «не спрашивать»: only a keyed hash of their identity on the channel
    (`signals_app.citizen.identity_hash`), never the identity itself."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    identity_hash = models.CharField(_("identity hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "identity_hash"], name="survey_opt_out_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.identity_hash[:12]


class Subscription(models.Model):
    """An address that hears of a signal. «Это моя проблема — подписаться»: a citizen who finds
    their problem already reported follows that signal instead of filing it again, and hears
    when it is answered (`joined`). The widget's author who asked for the news hears of each
    change the status page shows (`author`). The address is personal data: shown to those who
    may see personal data, never logged."""

    class Scope(models.TextChoices):
        JOINED = "joined", _("Joined: hears of the answer")
        AUTHOR = "author", _("The author: hears of each change")

    signal = models.ForeignKey(
        Signal, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("signal")
    )
    scope = models.CharField(
        _("hears of"), max_length=8, choices=Scope.choices, default=Scope.JOINED,
        db_default=Scope.JOINED,
    )  # fmt: skip
    email = models.EmailField(_("e-mail for the news"), max_length=254, blank=True)
    # Or a Telegram chat with the bot the author started from the status page's link.
    telegram_chat = models.CharField(_("Telegram chat"), max_length=32, blank=True)
    bot = models.ForeignKey(
        "signals_app.Source", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("through the bot"),
    )  # fmt: skip
    consent = models.JSONField(_("consent"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    notified_at = models.DateTimeField(_("told of the answer at"), null=True, blank=True)
    # The author's news: what they were last told (the status as the status page words it,
    # the public replies), and when the signal was last looked at for news.
    told_status = models.CharField(_("last status told"), max_length=32, blank=True)
    told_replies = ArrayField(
        models.BigIntegerField(), default=list, blank=True, verbose_name=_("replies told")
    )
    checked_at = models.DateTimeField(_("last looked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["signal", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["signal", "email"], condition=~Q(email=""), name="subscription_once"
            ),
            models.UniqueConstraint(
                fields=["signal", "telegram_chat"],
                condition=~Q(telegram_chat=""),
                name="subscription_once_per_chat",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | (~Q(telegram_chat="") & Q(bot__isnull=False)),
                name="subscription_has_an_address",
            ),
        ]
        indexes = [
            models.Index(fields=["checked_at"], condition=Q(scope="author"),
                         name="subscription_news_idx"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.signal_id} #{self.pk}"
