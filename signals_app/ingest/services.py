"""The inbox: store every payload first; processing comes after (`ingest.process`).

The InboundMessage table is the durable queue; Celery only speeds it up. A message is stored in
the request's transaction and queued after commit; if the broker is down the request still
succeeds and the periodic sweep picks the message up.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from agencies.models import User
from signals_app import dispatch
from signals_app.models import InboundMessage, Source
from signals_app.untrusted import without_nul

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    created: bool


def inbound_store(
    *, source: Source, external_id: str, payload: dict[str, Any], wake: bool = True
) -> Stored:
    """Store a payload verbatim (or find the one already stored) and queue it after commit
    (unless the caller processes it in the same transaction: `ingest.process.inbound_accept`)."""
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
    if wake:
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
    """The payload as stored: verbatim but for NUL, which PostgreSQL cannot hold (the input
    rules, signals_app/untrusted.py)."""
    return json.dumps(without_nul(payload), ensure_ascii=False)


def inbound_queue(*, message_ids: list[int]) -> None:
    """Ask a worker to process the messages; a broker outage only delays them (the sweep will
    find the messages)."""
    dispatch.send("ingest.process_messages", message_ids)


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

    try:
        first = cache.add(WAKE_KEY, 1, timeout=WAKE_SECONDS)
    except Exception:  # Redis is down: the sweep will find the messages
        logger.warning("inbound_wake_failed")
        return
    if first:
        dispatch.send("ingest.process_pending")


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
