"""The citizen's loop, its reads and its words (floor 2): the status page's address and what it
shows, whether and how «Проблема решена?» can be asked, the keyed hash of a citizen.

The citizen never sees staff names, internal notes or anyone's personal data: the status page
shows the status in plain words, the agency, the answer deadline, the published answers and the
survey. The texts sent to the citizen are in the region's language (Russian), whatever the
language of the analyst whose action sent them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from signals_app import channels
from signals_app.channels.spec import Plan
from signals_app.choices import Status
from signals_app.models import Reply, RetentionPolicy, Signal, Source, Survey, SurveyOptOut
from signals_app.models.signal import Closure

# The status in the citizen's words.
PLAIN_STATUS = {
    Status.NEW: gettext_lazy("Received, waiting to be considered"),
    Status.IN_PROGRESS: gettext_lazy("In the work of the responsible agency"),
    Status.AWAITING_INFO: gettext_lazy("Details are needed from you"),
    Status.REPLY_REVIEW: gettext_lazy("The answer is being prepared for publication"),
    Status.ANSWERED: gettext_lazy("Answered"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.REJECTED: gettext_lazy("Not accepted for consideration"),
}
NO_DETAILS = gettext_lazy("Closed: the details asked for did not come")
NEWS_STOP_SALT = "citizen-news-stop"
# The replies the status page shows (and the author's news tells of).
PUBLIC_KINDS = (*Reply.WRITTEN_KINDS, Reply.Kind.QUESTION, Reply.Kind.NOTICE)


def citizen_language():  # type: ignore[no-untyped-def]
    """What the texts to citizens are written in (the site's language, Russian by default)."""
    return translation.override(settings.LANGUAGE_CODE)


def status_path(signal: Signal) -> str:
    return reverse("citizen_status", args=[signal.number, signal.public_key])


def status_url(signal: Signal) -> str:
    """The citizen's link to the signal's status page (and its survey)."""
    return settings.SITE_URL.rstrip("/") + status_path(signal)


def first_line(text: str) -> str:
    """A text's first non-empty line (what a list shows of it)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def status_key(signal: Signal) -> str:
    """What the status page's status line depends on (a change of it is news to the author)."""
    return f"{signal.status}:{signal.closure}"


def plain_status(signal: Signal) -> str:
    if signal.status == Status.CLOSED and signal.closure == Closure.NO_DETAILS:
        return str(NO_DETAILS)
    return str(PLAIN_STATUS[Status(signal.status)])


# --- who the citizen is, for «не спрашивать» -------------------------------------------------


def identity(signal: Signal) -> str:
    """The citizen on the signal's channel: the profile, else the contact, else the dialogue
    (a Telegram or VK private chat is one person). Empty when nothing identifies them."""
    if signal.author_profile_url:
        return f"profile:{signal.author_profile_url.strip().lower()}"
    if signal.author_contact:
        return f"contact:{signal.author_contact.strip().lower()}"
    if signal.thread_id and channels.spec(signal.channel).social:
        return f"thread:{signal.channel}:{signal.thread_id}"
    return ""


def identity_hash(signal: Signal) -> str:
    """A keyed hash of the citizen's identity: enough to recognise them, useless to anyone
    without the deployment's secret key. Empty when nothing identifies them."""
    who = identity(signal)
    if not who:
        return ""
    key = hashlib.sha256(("citizen-identity:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, who.encode(), hashlib.sha256).hexdigest()


def opted_out(signal: Signal) -> bool:
    digest = identity_hash(signal)
    return (
        bool(digest)
        and SurveyOptOut.objects.filter(region_id=signal.region_id, identity_hash=digest).exists()
    )


# --- how the survey reaches the citizen ------------------------------------------------------


@dataclass(frozen=True)
class Asking:
    """How «Проблема решена?» reaches the citizen: "message" (through the channel's outbox),
    "page" (it waits on the status page the citizen holds the link to), or "" and why not."""

    way: str
    reason: str = ""


def how_to_ask(signal: Signal, plan: Plan) -> Asking:
    spec = channels.spec(signal.channel)
    if not spec.surveyed:
        return Asking("", _("The feedback platform asks the citizen about the answer itself."))
    if opted_out(signal):
        return Asking("", _("The citizen asked not to be asked again."))
    if plan.method:
        return Asking("message")
    if spec.status_link:
        return Asking("page")
    return Asking("", plan.reason or _("The citizen left no way back."))


def survey_button_labels() -> tuple[str, str]:
    """The two buttons of the survey in a messenger («да», «нет»), in the citizen's language."""
    with citizen_language():
        return str(_("Yes, solved")), str(_("No, not solved"))


def survey_text(signal: Signal) -> str:
    """The question as it is sent (the citizen's language)."""
    with citizen_language():
        return _(
            "Is the problem of your appeal %(number)s solved? Please answer «Yes» or «No» "
            "(a comment is welcome): %(url)s"
        ) % {"number": signal.number, "url": status_url(signal)}


def news_stop_url(subscription_id: int) -> str:
    """The link in each news message that ends the news (signed: no one else can end them)."""
    token = signing.dumps(subscription_id, salt=NEWS_STOP_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("citizen_news_stop", args=[token])


def telegram_news_link(signal: Signal) -> str:
    """«Уведомления в Telegram»: the link that opens the region's bot with this signal's key
    (`/start n<key>`); empty where no bot is named or the signal came by Telegram itself."""
    if signal.channel == "telegram":
        return ""
    bots = Source.objects.filter(region_id=signal.region_id, channel="telegram", is_active=True)
    username = bots.exclude(bot_username="").values_list("bot_username", flat=True).first()
    return f"https://t.me/{username}?start=n{signal.public_key.hex}" if username else ""


def news_stop_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=NEWS_STOP_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def retention_words(region_id: int) -> str:
    """How long the region keeps what the citizen gives, as its retention policy says (what
    the widget and the status page tell the citizen)."""
    policy = RetentionPolicy.objects.filter(region_id=region_id).first()
    if policy is None:
        return _("The data is kept for the term the region's rules for storing appeals set.")
    return _(
        "The author's name and contacts are kept for %(authors)s after the work on the message "
        "ends, photos and files for %(files)s; the data of a message that is rejected (spam, "
        "not a complaint) for %(rejected)s. The message itself stays, without them, for the "
        "statistics."
    ) % {
        "authors": ngettext("%d year", "%d years", policy.authors_years) % policy.authors_years,
        "files": ngettext("%d year", "%d years", policy.attachments_years)
        % policy.attachments_years,
        "rejected": ngettext("%d month", "%d months", policy.rejected_months)
        % policy.rejected_months,
    }


def survey_is_open(survey: Survey, now: datetime | None = None) -> bool:
    return survey.state == Survey.State.ASKED and (now or timezone.now()) < survey.expires_at


# --- the status page -------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicReply:
    kind: str
    text: str
    published_at: datetime | None


@dataclass(frozen=True)
class PublicStatus:
    """What the citizen's status page shows: nothing personal, nothing internal."""

    number: str
    status: str
    agency: str
    received_at: datetime
    answer_due_at: datetime | None
    replies: list[PublicReply]
    survey: Survey | None
    open: bool
    time_zone: str


def public_status(signal: Signal) -> PublicStatus:
    """The status page of one signal (loaded with its region and agency)."""
    replies = [
        PublicReply(reply.kind, reply.text, reply.published_at)
        for reply in signal.replies.filter(
            state=Reply.State.PUBLISHED,
            kind__in=PUBLIC_KINDS,
        ).order_by("published_at", "pk")
    ]
    survey = signal.surveys.filter(cycle=signal.sla_cycle).first()
    agency = signal.agency
    return PublicStatus(
        number=signal.number,
        status=plain_status(signal),
        agency=(agency.name if agency is not None else ""),
        received_at=signal.received_at,
        answer_due_at=signal.answer_due_at if signal.is_open else None,
        replies=replies,
        survey=survey,
        open=survey is not None and survey_is_open(survey),
        time_zone=signal.region.time_zone,
    )
