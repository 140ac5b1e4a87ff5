"""What the centre itself says to the citizen (floor 3): «Проблема решена?» after a final
answer, and the notices of its decisions; both published at once and sent through the
channel's outbox like an answer, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from agencies.models import Region
from signals_app import channels, citizen, timeline
from signals_app.models import Reply, Signal, Survey
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
    from signals_app.models import Subscription

    signal, at = change.signal, change.at
    waiting = list(Subscription.objects.select_for_update().filter(signal=signal,
                                                                   notified_at__isnull=True))  # fmt: skip
    for subscription in waiting:
        with citizen.citizen_language():
            text = _(
                "The appeal %(number)s that you joined is answered: %(answer)s\n\nIts status: "
                "%(url)s"
            ) % {"number": signal.number, "answer": answer.text, "url": citizen.status_url(signal)}
        news = Reply.objects.create(
            signal=signal, kind=Reply.Kind.FOLLOWER, state=Reply.State.PUBLISHED, text=text,
            submitted_at=at, published_at=at,
        )  # fmt: skip
        outbox.reply_delivery_to(reply=news, signal=signal, method="email",
                                 target={"to": subscription.email})  # fmt: skip
        subscription.notified_at = at
        subscription.save(update_fields=["notified_at"])
    return len(waiting)
