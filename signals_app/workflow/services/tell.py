"""What the centre itself says to the citizen (floor 3): «Проблема решена?» after a final
answer, and the notices of its decisions; both published at once and sent through the
channel's outbox like an answer, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agencies.models import Region
from signals_app import channels, citizen, timeline
from signals_app.models import Reply, Signal, Subscription, Survey
from signals_app.outbound import outbox
from signals_app.workflow import notify
from signals_app.workflow.changes import Change

# The survey leaves a little after the answer, so that it never arrives first.
SURVEY_DELAY = timedelta(minutes=10)


def citizen_tell(
    signal: Signal, text: str, *, at: datetime, delay: timedelta | None = None
) -> Reply:
    """A message from the centre to the citizen (a notice, the survey): published at once and
    sent through the channel's outbox like an answer; inside the caller's transaction."""
    message = Reply.objects.create(
        signal=signal, kind=Reply.Kind.NOTICE, state=Reply.State.PUBLISHED, text=text,
        submitted_at=at, published_at=at,
    )  # fmt: skip
    notify.no_way_back(outbox.reply_deliveries_enqueue(pairs=[(message, signal)], delay=delay))
    return message


# --- asking ----------------------------------------------------------------------------------


def survey_ask(change: Change) -> Survey:
    """Ask «Проблема решена?» for the change's signal, whose final answer is being published
    (its cycle asked once: a second final answer in the same cycle asks nothing more)."""
    signal, at = change.signal, change.at
    existing = Survey.objects.filter(signal=signal, cycle=signal.sla_cycle).first()
    if existing is not None:
        return existing
    days = Region.objects.values_list("survey_days", flat=True).get(pk=signal.region_id)
    until = at + timedelta(days=days)
    asking = citizen.how_to_ask(signal, channels.reply_plan(signal))
    question = None
    if asking.way == "message":
        question = Reply.objects.create(
            signal=signal, kind=Reply.Kind.SURVEY, state=Reply.State.PUBLISHED,
            text=citizen.survey_text(signal), submitted_at=at, published_at=at,
        )  # fmt: skip
        outbox.reply_deliveries_enqueue(pairs=[(question, signal)], delay=SURVEY_DELAY)
    survey = Survey.objects.create(
        signal=signal, cycle=signal.sla_cycle,
        state=Survey.State.ASKED if asking.way else Survey.State.NOT_ASKED,
        reason=asking.reason, question=question, asked_at=at, expires_at=until,
    )  # fmt: skip
    change.entries.append(
        timeline.survey_asked(signal.pk, way=asking.way, until=until, reason=asking.reason, at=at)
    )
    return survey


def followers_tell(change: Change, answer: Reply) -> int:
    """Each citizen subscribed to the signal hears of its final answer, once, by e-mail."""
    signal, at = change.signal, change.at
    waiting = list(Subscription.objects.select_for_update().filter(
        signal=signal, scope=Subscription.Scope.JOINED, notified_at__isnull=True
    ))  # fmt: skip
    for subscription in waiting:
        with citizen.citizen_language():
            text = _(
                "The appeal %(number)s that you joined is answered: %(answer)s\n\nIts status: "
                "%(url)s\nNo more messages about it: %(stop)s"
            ) % {"number": signal.number, "answer": answer.text, "url": citizen.status_url(signal),
                 "stop": citizen.news_stop_url(subscription.pk)}  # fmt: skip
        subscriber_tell(subscription, text, at=at)
        subscription.notified_at = at
        subscription.save(update_fields=["notified_at"])
    return len(waiting)


# --- the author's news -----------------------------------------------------------------------

# A change saved by a transaction that began before the last look and committed after it is
# still found: the signals changed this long before the last look are looked at again.
NEWS_MARGIN = timedelta(minutes=10)
NEWS_BATCH = 200
# A reply is quoted up to this long (a Telegram message holds 4,096 characters; the whole text
# is on the status page the message links to).
NEWS_REPLY_CHARS = 1200


def subscriber_tell(subscription: Subscription, text: str, *, at: datetime) -> Reply:
    """A message to one subscriber (their e-mail, or their chat with the bot), published at
    once and sent through the outbox; inside the caller's transaction."""
    signal = subscription.signal
    message = Reply.objects.create(
        signal=signal, kind=Reply.Kind.FOLLOWER, state=Reply.State.PUBLISHED, text=text,
        submitted_at=at, published_at=at,
    )  # fmt: skip
    if subscription.telegram_chat:
        method = "telegram.sendMessage"
        target = {"chat_id": subscription.telegram_chat, "bot": subscription.bot_id}
    else:
        method, target = "email", {"to": subscription.email}
    outbox.reply_delivery_to(reply=message, signal=signal, method=method, target=target)
    return message


def news_welcome(subscription: Subscription, *, at: datetime) -> Reply:
    """The first message to a chat that asked for the news: what it will hear, and how to stop."""
    signal = subscription.signal
    with citizen.citizen_language():
        text = _(
            "You will get the news of the appeal %(number)s here. Its status now: %(status)s."
            "\n\n%(url)s\nNo more messages about it: %(stop)s"
        ) % {"number": signal.number, "status": citizen.plain_status(signal),
             "url": citizen.status_url(signal), "stop": citizen.news_stop_url(subscription.pk)}  # fmt: skip
    return subscriber_tell(subscription, text, at=at)


def news_sweep(*, now: datetime | None = None) -> int:
    """Tell each author who asked for the news (in the widget) of what changed on their status
    page since they were last told: the status, the published replies. One message per look,
    however many changes; nothing twice. Returns how many messages left."""
    now = now or timezone.now()
    told = 0
    while True:
        with transaction.atomic():
            due = (
                Subscription.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(scope=Subscription.Scope.AUTHOR)
                .filter(
                    Q(checked_at__isnull=True)
                    | Q(checked_at__lt=now, signal__updated_at__gte=F("checked_at") - NEWS_MARGIN)
                )
                .select_related("signal", "signal__region")
                .order_by("checked_at", "pk")[:NEWS_BATCH]
            )
            rows = list(due)
            if not rows:
                return told
            told += sum(_news(subscription, now) for subscription in rows)


def _news(subscription: Subscription, now: datetime) -> bool:
    signal = subscription.signal
    key = citizen.status_key(signal)
    plan = channels.reply_plan(signal)
    # Replies that reach this very address by the channel are not sent a second time.
    by_channel = (
        bool(subscription.email)
        and plan.method == "email"
        and plan.target.get("to", "").lower() == subscription.email
    )
    replies = [] if by_channel else list(
        signal.replies.filter(state=Reply.State.PUBLISHED, kind__in=citizen.PUBLIC_KINDS)
        .exclude(pk__in=subscription.told_replies).order_by("published_at", "pk")
    )  # fmt: skip
    news = key != subscription.told_status or bool(replies)
    if news:
        subscriber_tell(subscription, news_text(signal, replies, subscription), at=now)
        subscription.told_status = key
        subscription.told_replies = [*subscription.told_replies, *(r.pk for r in replies)]
    subscription.checked_at = now
    subscription.save(update_fields=["told_status", "told_replies", "checked_at"])
    return news


def news_text(signal: Signal, replies: list[Reply], subscription: Subscription) -> str:
    with citizen.citizen_language(), timezone.override(signal.region.time_zone):
        lines = [_("Your appeal %(number)s: %(status)s.")
                 % {"number": signal.number, "status": citizen.plain_status(signal)}]  # fmt: skip
        for reply in replies:
            when = formats.date_format(timezone.localtime(reply.published_at), "DATETIME_FORMAT")
            text = reply.text if len(reply.text) <= NEWS_REPLY_CHARS else (
                reply.text[: NEWS_REPLY_CHARS - 1].rstrip() + "…"
            )  # fmt: skip
            lines.append(f"{when}\n{text}")
        survey = signal.surveys.filter(cycle=signal.sla_cycle, state=Survey.State.ASKED).first()
        if survey is not None and citizen.survey_is_open(survey):
            lines.append(_("Is the problem solved? Please answer on the appeal's page."))
        lines.append(
            _("The appeal's status and answers: %(url)s\nNo more messages about it: %(stop)s")
            % {"url": citizen.status_url(signal), "stop": citizen.news_stop_url(subscription.pk)}
        )
    return "\n\n".join(lines)
