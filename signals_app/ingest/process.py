"""From stored messages to signals — once (floor 4).

One message or a batch, the same way: the payload is read by its channel's normaliser, the new
signals are planned (`ingest.plan`) and created together (`signals_create_many`), their agencies
told. A batch is one transaction over the messages it claims (`SKIP LOCKED`: workers draining
at once share the work). Anything unusual — an edit or a deletion at the source, a redelivery of
a known post, an error — goes the one-message way after the batch, so a bad message never sinks
the good ones: it is recorded as failed, with its error, and re-processable.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import OfficialPage
from signals_app import channels
from signals_app.channels.payload import Outcome, PayloadError
from signals_app.choices import Status
from signals_app.ingest.notify import notify_arrivals
from signals_app.ingest.plan import attachments_of, plan_arrivals
from signals_app.ingest.services import WAKE_KEY, inbound_store
from signals_app.models import Forward, InboundMessage, Signal, Source, Survey
from signals_app.models.signal import Closure
from signals_app.workflow.services import (
    forward_answered,
    signal_citizen_wrote,
    signal_mark_deleted_at_source,
    signal_news_by_telegram,
    signal_text_update,
    signals_create_many,
    survey_answer,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
PENDING_GRACE = timedelta(minutes=1)
# What is not the message's fault: the database went away. The message stays pending for the
# next drain or sweep; anything else a message raises fails that message alone.
INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)


def outcome_of(message: InboundMessage) -> Outcome:
    """What the payload asks for, read by its channel's normaliser."""
    return channels.normaliser(message.source.channel)(message.payload, message.external_id)


# --- one message ---------------------------------------------------------------------------


def inbound_process(*, message_id: int) -> Signal | None:
    """Turn one stored message into a signal, once; record a failure instead of raising."""
    with transaction.atomic():
        message = (
            InboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("source", "source__region", "source__official_page")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.state in (
            InboundMessage.State.PROCESSED,
            InboundMessage.State.IGNORED,
        ):
            return None  # gone, taken by another worker right now, or already done
        message.attempts += 1
        try:
            with transaction.atomic():
                signal, state, note = _apply(message)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as error:
            message.state = InboundMessage.State.FAILED
            message.error = f"{type(error).__name__}: {error}"[:2000]
            message.save(update_fields=["state", "error", "attempts"])
            logger.warning(
                "inbound_failed message_id=%s error=%s", message.pk, type(error).__name__
            )
            return None
        message.state = state
        message.error = note
        message.signal = signal
        message.processed_at = timezone.now()
        message.save(update_fields=["state", "error", "attempts", "signal", "processed_at"])
        return signal


def _apply(message: InboundMessage) -> tuple[Signal | None, str, str]:
    """Do what the payload asks; return the signal (if any), the message's new state and why
    it was ignored."""
    outcome = outcome_of(message)
    existing = (
        Signal.objects.filter(source=message.source, external_id=outcome.key).first()
        if outcome.key
        else None
    )
    if outcome.action == "ignore":
        return existing, InboundMessage.State.IGNORED, outcome.reason
    if outcome.action == "survey":
        return _survey_reply(message, outcome)
    if outcome.action == "news":
        return _news_request(message, outcome)
    if outcome.action == "forward_reply":
        return _forward_reply(message, outcome)
    if outcome.action == "delete":
        if existing is None:
            return None, InboundMessage.State.IGNORED, "deleted before it became a signal"
        signal = signal_mark_deleted_at_source(signal=existing)
        return signal, InboundMessage.State.PROCESSED, ""
    assert outcome.data is not None
    if outcome.author_page and _is_official(message.source, outcome.author_page):
        return existing, InboundMessage.State.IGNORED, "written by an official page"
    if existing is not None:
        if outcome.action == "edit":
            signal_text_update(signal=existing, text=outcome.data.text)
        return existing, InboundMessage.State.PROCESSED, ""  # a redelivery: nothing new
    if not outcome.data.text.strip():
        raise PayloadError("text is empty")
    follows = thread_signal(message, outcome) if outcome.action == "create" else None
    if follows is not None:  # the author writes again on the thread of their signal
        signal = signal_citizen_wrote(
            signal=follows, text=outcome.data.text, attachments=attachments_of(outcome)
        )
        return signal, InboundMessage.State.PROCESSED, ""
    (signal,) = signals_create_many(plan_arrivals([(message, outcome)]))
    notify_arrivals([signal])
    return signal, InboundMessage.State.PROCESSED, ""


def _survey_reply(message: InboundMessage, outcome: Outcome) -> tuple[Signal | None, str, str]:
    """The citizen pressed «да» or «нет» under our survey: recorded once for the signal whose
    key the button carries, if it came from that signal's own dialogue on this channel."""
    answer = outcome.survey
    assert answer is not None
    signal = Signal.objects.filter(
        region_id=message.source.region_id, channel=message.source.channel,
        public_key=uuid.UUID(hex=answer.key),
    ).first()  # fmt: skip
    if signal is None or (signal.thread_id and signal.thread_id != answer.thread_id):
        return None, InboundMessage.State.IGNORED, "a survey answer for no signal of this dialogue"
    result = survey_answer(
        signal=signal, solved=answer.solved, via=Survey.Via(message.source.channel)
    )
    if result.result != "recorded":
        return signal, InboundMessage.State.IGNORED, f"survey answer {result.result}"
    return signal, InboundMessage.State.PROCESSED, ""


def _news_request(message: InboundMessage, outcome: Outcome) -> tuple[Signal | None, str, str]:
    """The author opened the bot from their status page («news in Telegram»): this chat hears
    of each change of that signal from now on (once per chat; told so at once)."""
    request = outcome.news
    assert request is not None
    signal = Signal.objects.filter(
        region_id=message.source.region_id, public_key=uuid.UUID(hex=request.key)
    ).first()
    if signal is None:
        return None, InboundMessage.State.IGNORED, "a news request for no signal"
    consent = {"given": True, "at": timezone.now().isoformat(),
               "how": "the author started the bot from the appeal's status page"}  # fmt: skip
    signal_news_by_telegram(signal=signal, chat=request.chat, bot=message.source, consent=consent)
    return signal, InboundMessage.State.PROCESSED, ""


def _forward_reply(message: InboundMessage, outcome: Outcome) -> tuple[Signal | None, str, str]:
    """An outside body answered the letter a signal was forwarded with (its tracking address):
    into that signal's timeline, never a new signal."""
    answer = outcome.forward
    assert answer is not None
    known = Forward.objects.filter(
        token=answer.token, signal__region_id=message.source.region_id
    ).exists()
    forward = (
        forward_answered(token=answer.token, text=answer.text, attachments=attachments_of(outcome))
        if known
        else None
    )
    if forward is None:
        return None, InboundMessage.State.IGNORED, "an answer to no forward of this region"
    return forward.signal, InboundMessage.State.PROCESSED, ""


def _is_official(source: Source, page_id: str) -> bool:
    """The source's own page, or any official page of the registry in that network: its posts
    and comments (our own published answers among them) are not citizens' signals."""
    page = source.official_page
    if page is not None and page.external_id == page_id:
        return True
    return OfficialPage.objects.filter(network=source.channel, external_id=page_id).exists()


@dataclass(frozen=True)
class Accepted:
    message: InboundMessage
    signal: Signal | None
    created: bool  # False: the same submission was stored before (a client's retry)


def inbound_accept(*, source: Source, external_id: str, payload: dict[str, Any]) -> Accepted:
    """Store a payload and make it a signal in one transaction, for the intakes whose client
    waits for the number (Open311, the widget).

    One path only: the message is never offered to the workers (it becomes visible already
    processed), so a worker and the request cannot both take it. A retry of the same
    submission (the same external id) answers with what the first one made. If it cannot
    become a signal it stays in the inbox as failed, with its error, and `signal` is None.
    """
    with transaction.atomic():
        stored = inbound_store(source=source, external_id=external_id, payload=payload, wake=False)
        if not stored.created:
            message = stored.message
            return Accepted(message, message.signal, created=False)
        signal = inbound_process(message_id=stored.message.pk)
    message = InboundMessage.objects.select_related("signal").get(pk=stored.message.pk)
    return Accepted(message, signal, created=True)


# --- many messages -------------------------------------------------------------------------


def inbound_process_batch(*, message_ids: list[int], fill: bool = False) -> int:
    """Process pending messages in batches; return how many became signals on the batch path
    (the rest went the one-message way).

    With `fill`, a short list is followed by one more batch of whatever else is pending, so a
    burst of single-event webhooks is processed in batches all the same.
    """
    done = 0
    for start in range(0, len(message_ids), BATCH_SIZE):
        done += _batch(message_ids[start : start + BATCH_SIZE])[1]
    if fill and len(message_ids) < BATCH_SIZE:
        done += _batch(None)[1]
    return done


def inbound_drain(*, max_batches: int = 200) -> None:
    """Process pending messages batch after batch until none is left (see inbound_wake).

    Each batch claims the oldest pending messages that no other worker holds (SKIP LOCKED), so
    several workers draining at once share the work instead of colliding.
    """
    from django.core.cache import cache

    for _round in range(max_batches):
        taken, _created = _batch(None)
        if taken:
            continue
        cache.delete(WAKE_KEY)
        if not InboundMessage.objects.filter(state=InboundMessage.State.PENDING).exists():
            return
        # Pending but held by another worker, or stored after our look: once more, shortly.
        time.sleep(0.2)
    cache.delete(WAKE_KEY)


def inbound_sweep_pending(*, older_than: timedelta = PENDING_GRACE, limit: int = 1000) -> int:
    """Process pending messages that no worker took (the broker was down, say)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundMessage.objects.filter(state=InboundMessage.State.PENDING, received_at__lte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    before = InboundMessage.objects.filter(pk__in=ids, state=InboundMessage.State.PENDING).count()
    inbound_process_batch(message_ids=ids)
    return (
        before
        - InboundMessage.objects.filter(pk__in=ids, state=InboundMessage.State.PENDING).count()
    )


def _batch(message_ids: list[int] | None) -> tuple[int, int]:
    """One transaction over the given pending messages (None: the oldest unclaimed ones);
    return how many were taken and how many became signals on the batch path."""
    leftovers: list[int] = []
    messages: list[InboundMessage] = []
    created = 0
    try:
        with transaction.atomic():
            claim = (
                InboundMessage.objects.select_for_update(skip_locked=True)
                .filter(state=InboundMessage.State.PENDING)
                .only("id", "source_id", "external_id", "payload", "received_at", "attempts")
                .order_by("received_at", "pk")
            )
            if message_ids is None:
                messages = list(claim[:BATCH_SIZE])
            else:
                messages = list(claim.filter(pk__in=message_ids))
            sources = Source.objects.select_related("region", "official_page").in_bulk(
                {message.source_id for message in messages}
            )
            for message in messages:
                message.source = sources[message.source_id]
            items, leftovers = _sort(messages)
            if items:
                signals = signals_create_many(plan_arrivals(items))
                notify_arrivals(signals)
                _mark_processed([message for message, _outcome in items], signals)
                created = len(items)
    except INFRASTRUCTURE_ERRORS:
        raise
    except Exception as error:
        # Something in the batch is wrong: each message goes alone, and only the bad one fails.
        taken = [message.pk for message in messages] if messages else list(message_ids or [])
        logger.warning("inbound_batch_fallback count=%s error=%s", len(taken), type(error).__name__)
        leftovers, created = taken, 0
    for message_id in leftovers:
        inbound_process(message_id=message_id)
    if created:
        logger.info("inbound_batch_processed count=%s", created)
    return len(messages), created


def _sort(messages: list[InboundMessage]) -> tuple[list[tuple[InboundMessage, Outcome]], list[int]]:
    """The messages that simply create a new signal, and the rest (for the one-message path)."""
    leftovers: list[int] = []
    candidates: list[tuple[InboundMessage, Outcome]] = []
    for message in messages:
        try:
            outcome = outcome_of(message)
        except Exception:
            leftovers.append(message.pk)
            continue
        data = outcome.data
        simple = outcome.action == "create" and bool(outcome.key) and not outcome.author_page
        if not simple or data is None or not data.text.strip():
            leftovers.append(message.pk)
            continue
        candidates.append((message, outcome))
    continued = _threads_continued(candidates)
    for message, outcome in list(candidates):
        if _thread_key(message, outcome) in continued:  # perhaps the author writing again
            candidates.remove((message, outcome))
            leftovers.append(message.pk)
    known = _existing_keys(candidates)
    items = []
    seen: set[tuple[int, str]] = set()
    for message, outcome in candidates:
        key = (message.source_id, outcome.key)
        if key in known or key in seen:
            leftovers.append(message.pk)  # a redelivery or an edit of a known post
            continue
        seen.add(key)
        items.append((message, outcome))
    return items, leftovers


# How long after its end a signal still takes its author's words on its thread: a reply to
# our final answer, details sent after it was closed for want of them.
FOLLOW_UP_WINDOW = timedelta(days=30)


def _thread_key(message: InboundMessage, outcome: Outcome) -> tuple[int, str, str] | None:
    data = outcome.data
    if data is None or not data.thread_id or not (data.author_profile_url or data.author_contact):
        return None
    return (
        message.source.region_id,
        data.thread_id,
        data.author_profile_url or data.author_contact,
    )


def _continued(*, in_reply: bool, now: datetime) -> Q:
    """Which signals of a thread a new message of their author continues: one waiting for
    the citizen's details (any message of the thread answers it) or closed for want of them
    lately; and, when the message is a reply in the thread, one still in work or answered
    lately."""
    recent = Q(finished_at__gte=now - FOLLOW_UP_WINDOW)
    found = Q(status=Status.AWAITING_INFO) | (
        Q(status=Status.CLOSED, closure=Closure.NO_DETAILS) & recent
    )
    if in_reply:
        found |= Q(status__in=(Status.NEW, Status.IN_PROGRESS, Status.REPLY_REVIEW))
        found |= Q(status=Status.ANSWERED) & recent
    return found & Q(duplicate_of__isnull=True)


def _threads_continued(
    candidates: list[tuple[InboundMessage, Outcome]],
) -> set[tuple[int, str, str] | None]:
    """The (region, thread, author) of the signals that messages of these threads may
    continue (a superset: the one-message path decides; one indexed query per batch)."""
    threads = {key[1] for message, outcome in candidates if (key := _thread_key(message, outcome))}
    if not threads:
        return set()
    rows = Signal.objects.filter(
        _continued(in_reply=True, now=timezone.now()), thread_id__in=threads
    ).values_list("region_id", "thread_id", "author_profile_url", "author_contact")
    return {(region, thread, url or contact) for region, thread, url, contact in rows}


def thread_signal(message: InboundMessage, outcome: Outcome) -> Signal | None:
    """The signal of this thread and author that the message continues, if any (the latest)."""
    key = _thread_key(message, outcome)
    if key is None:
        return None
    assert outcome.data is not None
    region_id, thread_id, author = key
    return (
        Signal.objects.filter(region_id=region_id, thread_id=thread_id)
        .filter(_continued(in_reply=outcome.data.in_reply, now=timezone.now()))
        .filter(Q(author_profile_url=author) | Q(author_contact=author))
        .order_by("-received_at", "-pk")
        .first()
    )


def _existing_keys(candidates: list[tuple[InboundMessage, Outcome]]) -> set[tuple[int, str]]:
    if not candidates:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.source_id, s.external_id FROM signals_app_signal s
            JOIN unnest(%s::bigint[], %s::text[]) AS k(source_id, external_id)
              ON s.source_id = k.source_id AND s.external_id = k.external_id
             WHERE s.external_id <> ''
            """,
            [
                [message.source_id for message, _ in candidates],
                [outcome.key for _, outcome in candidates],
            ],
        )
        return {(source_id, external_id) for source_id, external_id in cursor.fetchall()}


def _mark_processed(messages: list[InboundMessage], signals: list[Signal]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE signals_app_inboundmessage m
               SET state = 'processed', error = '', attempts = m.attempts + 1,
                   signal_id = d.signal_id, processed_at = %s
              FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, signal_id)
             WHERE m.id = d.id
            """,
            [timezone.now(), [m.pk for m in messages], [s.pk for s in signals]],
        )
