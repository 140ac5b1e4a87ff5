"""The inbox: store every payload first, then turn it into a signal — once.

The InboundMessage table is the durable queue; Celery only speeds it up. A message is stored in
the request's transaction and queued after commit; if the broker is down the request still
succeeds and the periodic sweep picks the message up. Processing is idempotent: the row is
locked, its state re-checked, and the signal is unique on (source, external id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Municipality, OfficialPage, User
from signals_app.ingest.classifier import classify_by_model
from signals_app.ingest.duplicates import find_near_duplicate
from signals_app.ingest.normalize import OUTCOMES, Outcome, PayloadError, api_outcome
from signals_app.ingest.notify import notify_arrivals
from signals_app.ingest.rules import classify_by_rules, route_by_rules
from signals_app.models import Attachment, Category, InboundMessage, Signal, Source
from signals_app.workflow.errors import WorkflowError
from signals_app.workflow.services import (
    signal_change_category,
    signal_create,
    signal_mark_deleted_at_source,
    signal_mark_duplicate,
    signal_route,
    signal_text_update,
)

logger = logging.getLogger(__name__)

PENDING_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    created: bool


def inbound_store(*, source: Source, external_id: str, payload: dict[str, Any]) -> Stored:
    """Store a payload verbatim (or find the one already stored) and queue it after commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO signals_app_inboundmessage
                (source_id, external_id, payload, received_at, state, attempts, error)
            VALUES (%s, %s, %s::jsonb, %s, 'pending', 0, '')
            ON CONFLICT (source_id, external_id) DO NOTHING
            RETURNING id
            """,
            [source.pk, external_id, _json(payload), timezone.now()],
        )
        row = cursor.fetchone()
    if row is None:
        return Stored(InboundMessage.objects.get(source=source, external_id=external_id), False)
    message_id = row[0]
    transaction.on_commit(inbound_wake)
    return Stored(InboundMessage(pk=message_id, source=source, external_id=external_id), True)


def inbound_store_many(
    *, source: Source, items: list[tuple[str, dict[str, Any]]]
) -> dict[str, tuple[int, bool]]:
    """Store many payloads in one statement; external id → (inbox id, newly stored).

    An id given twice in one call, or already in the inbox, is stored once. The new messages
    are queued together after commit.
    """
    if not items:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO signals_app_inboundmessage
                (source_id, external_id, payload, received_at, state, attempts, error)
            SELECT %s, item.external_id, item.payload::jsonb, %s, 'pending', 0, ''
            FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY
                AS item(external_id, payload, position)
            ORDER BY item.position
            ON CONFLICT (source_id, external_id) DO NOTHING
            RETURNING id, external_id
            """,
            [
                source.pk,
                timezone.now(),
                [key for key, _ in items],
                [_json(payload) for _, payload in items],
            ],
        )
        stored = {key: (pk, True) for pk, key in cursor.fetchall()}
    missing = {key for key, _ in items} - stored.keys()
    if missing:
        stored.update(
            (key, (pk, False))
            for pk, key in InboundMessage.objects.filter(
                source=source, external_id__in=missing
            ).values_list("pk", "external_id")
        )
    new_ids = sorted(pk for pk, created in stored.values() if created)
    if new_ids:
        transaction.on_commit(lambda: inbound_queue(message_ids=new_ids))
    return stored


def _json(payload: dict[str, Any]) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False)


def inbound_queue(*, message_ids: list[int]) -> None:
    """Ask a worker to process the messages; a broker outage only delays them."""
    from signals_app.ingest.tasks import process_messages

    try:
        process_messages.delay(message_ids)
    except Exception as error:  # the broker is down: the sweep will find the messages
        logger.warning(
            "inbound_queue_failed count=%s error=%s", len(message_ids), type(error).__name__
        )


WAKE_KEY = "ingest:wake"
WAKE_SECONDS = 30


def inbound_wake() -> None:
    """Ask for the pending messages to be processed, with at most one task queued at a time.

    Single-event webhooks arrive by the hundred per second; one Celery task each would cost more
    than storing them. The first message sets a short-lived key and queues a draining task; the
    ones after it find the key and only wait. The task deletes the key when nothing is pending
    and then looks once more, so a message stored in between is never left behind (and the
    minute sweep is there in any case).
    """
    from django.core.cache import cache

    from signals_app.ingest.tasks import process_pending

    try:
        if cache.add(WAKE_KEY, 1, timeout=WAKE_SECONDS):
            process_pending.delay()
    except Exception:  # Redis or the broker is down: the sweep will find the messages
        logger.warning("inbound_wake_failed")


def inbound_process(*, message_id: int) -> Signal | None:
    """Turn one stored message into a signal, once; record a failure instead of raising."""
    with transaction.atomic():
        message = (
            InboundMessage.objects.select_for_update(skip_locked=True)
            .select_related("source", "source__region")
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
                signal, state = _apply(message)
        except (PayloadError, WorkflowError, IntegrityError, ValueError) as error:
            message.state = InboundMessage.State.FAILED
            message.error = f"{type(error).__name__}: {error}"[:2000]
            message.save(update_fields=["state", "error", "attempts"])
            logger.warning(
                "inbound_failed message_id=%s error=%s", message.pk, type(error).__name__
            )
            return None
        message.state = state
        message.error = ""
        message.signal = signal
        message.processed_at = timezone.now()
        message.save(update_fields=["state", "error", "attempts", "signal", "processed_at"])
        return signal


def _apply(message: InboundMessage) -> tuple[Signal | None, str]:
    """Do what the payload asks; return the signal (if any) and the message's new state."""
    source = message.source
    outcome_of = OUTCOMES.get(source.channel, api_outcome)
    outcome: Outcome = outcome_of(message.payload, message.external_id)
    existing = (
        Signal.objects.filter(source=source, external_id=outcome.key).first()
        if outcome.key
        else None
    )
    if outcome.action == "ignore":
        return existing, InboundMessage.State.IGNORED
    if outcome.action == "delete":
        if existing is None:
            return None, InboundMessage.State.IGNORED
        return signal_mark_deleted_at_source(signal=existing), InboundMessage.State.PROCESSED
    assert outcome.data is not None
    if existing is not None:
        if outcome.action == "edit":
            signal_text_update(signal=existing, text=outcome.data.text)
        return existing, InboundMessage.State.PROCESSED  # a redelivery: nothing new
    signal = _create(source, message, outcome)
    signal.refresh_from_db()  # routing worked on its own locked copy
    notify_arrivals([signal])
    return signal, InboundMessage.State.PROCESSED


def signal_fields(message: InboundMessage, outcome: Outcome) -> dict[str, Any]:
    """The fields of the new signal that come straight from the message and its payload."""
    data = outcome.data
    assert data is not None
    source = message.source
    return {
        "region": source.region,
        "channel": source.channel,
        "text": data.text.strip(),
        "received_at": message.received_at,
        "source": source,
        "external_id": outcome.key,
        "external_url": data.external_url,
        "thread_id": data.thread_id,
        "author_name": data.author_name,
        "author_profile_url": data.author_profile_url,
        "author_contact": data.author_contact,
        "posted_at": data.posted_at,
        "address": data.address,
        "latitude": data.latitude,
        "longitude": data.longitude,
    }


def _create(source: Source, message: InboundMessage, outcome: Outcome) -> Signal:
    data = outcome.data
    assert data is not None
    region = source.region
    signal = signal_create(
        **signal_fields(message, outcome),
        municipality=_municipality(region.pk, data.municipality_hint),
        category=_category(region.pk, data.category_hint),
    )
    Attachment.objects.bulk_create(
        [
            Attachment(
                signal=signal,
                url=item["url"],
                name=item["name"] or item["url"].rsplit("/", 1)[-1][:300],
            )
            for item in data.attachments
        ]
        + [
            Attachment(
                signal=signal,
                file=item["path"],
                name=str(item.get("name") or "photo")[:300],
                content_type=str(item.get("content_type", ""))[:100],
                size=item.get("size"),
                sha256=str(item.get("sha256", "")),
            )
            for item in data.files
        ]
    )
    original = find_near_duplicate(signal)
    if original is not None:
        # Not separate work: linked to the first one and set aside with the reason.
        signal_mark_duplicate(signal=signal, original=original, actor=None)
        signal.refresh_from_db()
        return signal
    if signal.category_id is None:
        _classify(signal)
    # A comment on an agency's official page goes to that agency; otherwise the routing rules.
    agency = _page_agency(source, outcome.page_id, data.agency_id)
    if agency is not None and agency.is_active and agency.region_id == region.pk:
        signal_route(
            signal=signal, agency=agency, actor=None, reason=str(_("Official page of the agency"))
        )
    else:
        rule = route_by_rules(signal)
        if rule is not None:
            try:
                signal_route(
                    signal=signal,
                    agency=rule.agency,
                    assignee=rule.executor,
                    actor=None,
                    reason=str(rule),
                )
            except WorkflowError:  # an executor who has left the agency: route without them
                signal_route(signal=signal, agency=rule.agency, actor=None, reason=str(rule))
    return signal


def _classify(signal: Signal) -> None:
    """Rules first; then the region's text model, only when it is confident enough."""
    category = classify_by_rules(signal)
    note = str(_("Classification rule"))
    if category is None:
        prediction = classify_by_model(region_id=signal.region_id, texts=[signal.text])[0]
        if prediction is not None:
            category = Category.objects.filter(
                pk=prediction.category_id, region_id=signal.region_id, is_active=True
            ).first()
            note = _("Text classifier v%(version)s, confidence %(confidence).2f") % {
                "version": prediction.version,
                "confidence": prediction.confidence,
            }
    if category is not None:
        signal_change_category(signal=signal, category=category, actor=None, note=note)
        signal.refresh_from_db()


def _page_agency(source: Source, page_id: str, agency_id: int | None = None) -> Agency | None:
    if agency_id is not None:  # the widget on this agency's own page
        return Agency.objects.filter(pk=agency_id, region_id=source.region_id).first()
    if source.official_page_id:
        return source.official_page.agency if source.official_page else None
    if page_id:
        page = (
            OfficialPage.objects.select_related("agency")
            .filter(network=source.channel, external_id=page_id, is_active=True)
            .first()
        )
        if page is not None:
            return page.agency
    return source.agency


def _municipality(region_id: int, hint: str) -> Municipality | None:
    if not hint:
        return None
    if hint.isdigit():
        return Municipality.objects.filter(region_id=region_id, oktmo=hint).first()
    return (
        Municipality.objects.filter(region_id=region_id, name__iexact=hint).order_by("pk").first()
    )


def _category(region_id: int, hint: str) -> Category | None:
    if not hint:
        return None
    return Category.objects.filter(region_id=region_id, code=hint, is_active=True).first()


def inbound_reprocess(*, message_ids: list[int], actor: User | None = None) -> int:
    """Put failed messages back in the queue (after fixing a source, say); return how many."""
    with transaction.atomic():
        ids = list(
            InboundMessage.objects.filter(
                pk__in=message_ids, state=InboundMessage.State.FAILED
            ).values_list("pk", flat=True)
        )
        InboundMessage.objects.filter(pk__in=ids).update(
            state=InboundMessage.State.PENDING, error=""
        )
        if ids:
            transaction.on_commit(lambda: inbound_queue(message_ids=ids))
    logger.info("inbound_reprocess count=%s actor_id=%s", len(ids), actor.pk if actor else None)
    return len(ids)


def inbound_sweep_pending(*, older_than: timedelta = PENDING_GRACE, limit: int = 1000) -> int:
    """Process pending messages that no worker took (the broker was down, say)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundMessage.objects.filter(state=InboundMessage.State.PENDING, received_at__lte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    from signals_app.ingest.batch import inbound_process_batch

    before = InboundMessage.objects.filter(pk__in=ids, state=InboundMessage.State.PENDING).count()
    inbound_process_batch(message_ids=ids)
    return (
        before
        - InboundMessage.objects.filter(pk__in=ids, state=InboundMessage.State.PENDING).count()
    )
