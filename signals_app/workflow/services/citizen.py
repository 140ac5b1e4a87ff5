"""The citizen's loop (floor 3): «Проблема решена?» after the final answer, the reopen request
a «нет» makes and the analysts' decision on it, the question that waited in vain.

The survey is asked once per signal and cycle, inside the transaction that publishes the final
answer; the citizen answers once (a second answer changes nothing, an expired survey says so).
A «нет» never reopens by itself: it is a request the centre's analysts confirm (the signal
reopens into a new cycle of deadlines) or decline with a reason, and the citizen is told
either way on their channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import User
from signals_app import citizen, timeline
from signals_app.choices import OPEN_STATUSES, Status
from signals_app.errors import InvalidInput, InvalidTransition
from signals_app.locks import signal_lock
from signals_app.models import (
    ReopenRequest,
    Reply,
    Signal,
    Source,
    Subscription,
    Survey,
    SurveyOptOut,
)
from signals_app.workflow import changes, notify
from signals_app.workflow.actions import authorize
from signals_app.workflow.services.base import begin, finish
from signals_app.workflow.services.tell import citizen_tell, news_welcome

logger = logging.getLogger(__name__)

# --- the citizen answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyOutcome:
    """What became of an answer: "recorded", "already" (answered before: nothing changed),
    "expired", "not_asked"; `stopped` when the citizen asked not to be asked again."""

    result: str
    survey: Survey | None = None
    stopped: bool = False


@transaction.atomic
def survey_answer(
    *,
    signal: Signal | int,
    solved: bool,
    via: str,
    comment: str = "",
    stop_asking: bool = False,
    at: datetime | None = None,
) -> SurveyOutcome:
    """The citizen's «да» or «нет» (with an optional comment) to the current cycle's survey.
    A «нет» files a reopen request for the analysts. `stop_asking` («больше не спрашивать»)
    keeps only a keyed hash of the citizen, whatever became of the answer."""
    locked = signal_lock(signal)
    now = at or timezone.now()
    comment = (comment or "").strip()[:4000]
    stopped = _stop_asking(locked) if stop_asking else False
    survey = (
        Survey.objects.select_for_update().filter(signal=locked, cycle=locked.sla_cycle).first()
    )
    if survey is None or survey.state == Survey.State.NOT_ASKED:
        return SurveyOutcome("not_asked", survey, stopped)
    if survey.state == Survey.State.ANSWERED:
        return SurveyOutcome("already", survey, stopped)
    if now >= survey.expires_at:
        return SurveyOutcome("expired", survey, stopped)
    survey.state, survey.solved, survey.comment = Survey.State.ANSWERED, solved, comment
    survey.answered_at, survey.answered_via = now, via
    survey.save(update_fields=["state", "solved", "comment", "answered_at", "answered_via"])
    timeline.write([
        timeline.survey_answered(locked.pk, solved=solved, via=via, comment=comment, at=now)
    ])  # fmt: skip
    if not solved:
        ReopenRequest.objects.create(signal=locked, survey=survey, comment=comment, created_at=now)
        notify.reopen_requested(locked, comment=comment)
    logger.info("survey_answered signal_id=%s solved=%s via=%s", locked.pk, solved, via)
    return SurveyOutcome("recorded", survey, stopped)


def _stop_asking(signal: Signal) -> bool:
    digest = citizen.identity_hash(signal)
    if not digest:
        return False
    SurveyOptOut.objects.get_or_create(region_id=signal.region_id, identity_hash=digest)
    return True


# --- the analysts decide ---------------------------------------------------------------------


def _pending(signal: Signal) -> ReopenRequest:
    request = (
        ReopenRequest.objects.select_for_update()
        .filter(signal=signal, state=ReopenRequest.State.PENDING)
        .first()
    )
    if request is None:
        raise InvalidTransition(_("The signal has no reopen request waiting for a decision."))
    return request


@transaction.atomic
def reopen_request_confirm(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """The citizen is right: the signal reopens into a new cycle of deadlines (counted as a
    reopening), and the citizen is told."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("reopen_confirm", actor=actor, signal=locked)
    request = _pending(locked)
    reason = _("The citizen says the problem is not solved")
    if request.comment:
        reason = f"{reason}: {request.comment}"
    changes.reopen(change, reason=reason[:4000])
    request.state, request.decided_by, request.decided_at = (
        ReopenRequest.State.CONFIRMED, actor, change.at,
    )  # fmt: skip
    request.save(update_fields=["state", "decided_by", "decided_at"])
    with citizen.citizen_language():
        text = _(
            "Your appeal %(number)s is back in work: the agency will answer again. Its status: "
            "%(url)s"
        ) % {"number": locked.number, "url": citizen.status_url(locked)}
    citizen_tell(locked, text, at=change.at)
    return finish(change, actor=actor)


@transaction.atomic
def reopen_request_decline(
    *, signal: Signal | int, reason: str, actor: User | None, expected_version: int | None = None
) -> Signal:
    """The problem is solved (or is not the agency's to solve): the request is declined with
    the reason, which the citizen is told."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("Say why the request is declined: the citizen is told."),
            errors={"reason": [_("Say why the request is declined: the citizen is told.")]},
        )
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("reopen_decline", actor=actor, signal=locked)
    request = _pending(locked)
    request.state, request.decided_by, request.decided_at, request.reason = (
        ReopenRequest.State.DECLINED, actor, change.at, reason,
    )  # fmt: skip
    request.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    change.entries.append(
        timeline.reopen_declined(locked.pk, reason=reason, actor_id=change.actor_id, at=change.at)
    )
    with citizen.citizen_language():
        text = _("Your appeal %(number)s stays closed: %(reason)s") % {
            "number": locked.number,
            "reason": reason,
        }
    citizen_tell(locked, text, at=change.at)
    return finish(change, actor=actor)


# --- the question that waited in vain --------------------------------------------------------


@transaction.atomic
def signal_close_without_details(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """No answer to the question: closed as «уточнение не получено» (by the sweep when the
    policy's waiting time is over, or by an analyst), and the citizen is told."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("close_without_details", actor=actor, signal=locked)
    with citizen.citizen_language():
        reason = _("The details asked for were not received")
        text = _(
            "Your appeal %(number)s is closed: the details we asked for did not come. Should "
            "you send them later, the work will resume."
        ) % {"number": locked.number}
    changes.close_without_details(change, reason=str(reason))
    Reply.objects.filter(signal=locked, wait_until__isnull=False).update(wait_until=None)
    citizen_tell(locked, text, at=change.at)
    return finish(change, actor=actor)


@transaction.atomic
def signal_details_came_late(
    *, signal: Signal | int, actor: User | None, expected_version: int | None = None
) -> Signal:
    """The details came after the signal was closed for want of them: back in work, the
    deadlines moved by the whole wait (not a reopening, not a new cycle)."""
    change = begin(signal, actor, expected_version)
    locked = change.signal
    authorize("details_came_late", actor=actor, signal=locked)
    changes.move(change, Status.IN_PROGRESS, reason=_("The details came late"))
    return finish(change, actor=actor)


@transaction.atomic
def signal_news_by_telegram(
    *, signal: Signal | int, chat: str, bot: Source, consent: dict, at: datetime | None = None
) -> tuple[Subscription, bool]:
    """The author asked for the news of their signal in a chat with the bot (from the status
    page's link): once per chat, and told so at once in that chat."""
    locked = signal_lock(signal)
    subscription, made = Subscription.objects.get_or_create(
        signal=locked, telegram_chat=chat,
        defaults={"bot": bot, "consent": consent, "scope": Subscription.Scope.AUTHOR,
                  "told_status": citizen.status_key(locked)},
    )  # fmt: skip
    if made:
        news_welcome(subscription, at=at or timezone.now())
        logger.info("signal_news_by_telegram signal_id=%s", locked.pk)
    return subscription, made


@transaction.atomic
def signal_subscribe(
    *,
    signal: Signal | int,
    email: str,
    consent: dict,
    at: datetime | None = None,
    scope: str = Subscription.Scope.JOINED,
) -> tuple[Subscription, bool]:
    """«Это моя проблема»: a citizen follows an open signal instead of filing it again (once
    per address; a second time changes nothing). With the author's scope, the widget's author
    who asked for the news hears of each change of their own signal. Returns the subscription
    and whether it is new."""
    locked = signal_lock(signal)
    joining = scope == Subscription.Scope.JOINED
    if joining and (locked.status not in OPEN_STATUSES or locked.parent_id is not None):
        raise InvalidInput(_("This appeal can no longer be joined."))
    email = (email or "").strip().lower()
    subscription, made = Subscription.objects.get_or_create(
        signal=locked, email=email,
        defaults={"consent": consent, "scope": scope, "told_status": citizen.status_key(locked)},
    )  # fmt: skip
    if made and joining:
        timeline.write([timeline.subscribed(locked.pk, at=at or timezone.now())])
        logger.info("signal_subscribed signal_id=%s", locked.pk)
    return subscription, made
