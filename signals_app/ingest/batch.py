"""Many inbox messages into signals at once: the throughput path of the ingest workers.

The same decisions as the one-message path (services.inbound_process) — near-duplicates, rules,
the text model, routing, policies and deadlines — taken with the reference data read once per
batch, and written with a handful of statements: numbers reserved per region and year, signals,
events and attachments inserted in bulk, the messages marked in one update. The end state of
each signal is the one the one-message path reaches; its timeline has the same steps, without
the intermediate recomputations of deadlines (the first deadlines are already the final ones).

Anything unusual — an edit, a deletion, a redelivery of a known post, a photo upload, an error —
goes to the one-message path after the batch, so a bad message never sinks the good ones.
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from agencies.models import Agency, Membership
from signals_app.bulk import copy_instances, copy_rows, reserve_ids
from signals_app.ingest.classifier import classify_by_model
from signals_app.ingest.duplicates import Candidate, NearDuplicateIndex
from signals_app.ingest.normalize import OUTCOMES, Outcome, PayloadError, api_outcome
from signals_app.ingest.notify import notify_arrivals
from signals_app.ingest.rules import (
    classification_rules,
    classify_by_rules,
    route_by_rules,
    routing_rules,
)
from signals_app.ingest.services import (
    _category,
    _municipality,
    _page_agency,
    inbound_process,
    signal_fields,
)
from signals_app.models import (
    Attachment,
    Category,
    InboundMessage,
    RoutingRule,
    Signal,
    SignalEvent,
    Source,
    Status,
)
from signals_app.outbound import services as outbound
from signals_app.outbound.models import WebhookEvent
from signals_app.sla import services as sla
from signals_app.workflow.services import signal_number_allocate, signal_number_format

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
T = TypeVar("T")


@dataclass
class _Item:
    message: InboundMessage
    outcome: Outcome
    signal: Signal
    original: Signal | Candidate | None = None
    category_note: str = ""
    route_reason: str = ""
    events: list[SignalEvent] = field(default_factory=list)


class _Memo:
    """Reference data of one batch, each piece read once."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        self.sla: dict = {}

    def get(self, key: Any, load: Callable[..., T], *args: Any) -> T:
        if key not in self._values:
            self._values[key] = load(*args)
        return self._values[key]


def inbound_process_batch(*, message_ids: list[int], fill: bool = False) -> int:
    """Process pending messages in batches; return how many became signals here (the rest went
    through the one-message path).

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

    from signals_app.ingest.services import WAKE_KEY

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
            items, leftovers = _plan(messages)
            if items:
                _decide(items)
                _write(items)
                created = len(items)
    except (DatabaseError, PayloadError, ValueError) as error:
        # Something in the batch is wrong: each message goes alone, and only the bad one fails.
        taken = [message.pk for message in messages] if messages else list(message_ids or [])
        logger.warning("inbound_batch_fallback count=%s error=%s", len(taken), type(error).__name__)
        leftovers, created = taken, 0
    for message_id in leftovers:
        inbound_process(message_id=message_id)
    if created:
        logger.info("inbound_batch_processed count=%s", created)
    return len(messages), created


def _plan(messages: list[InboundMessage]) -> tuple[list[_Item], list[int]]:
    """The messages that simply create a new signal, and the rest (for the one-message path)."""
    leftovers: list[int] = []
    candidates: list[tuple[InboundMessage, Outcome]] = []
    for message in messages:
        try:
            outcome = OUTCOMES.get(message.source.channel, api_outcome)(
                message.payload, message.external_id
            )
        except (PayloadError, ValueError, TypeError, AttributeError):
            leftovers.append(message.pk)  # recorded as failed, with its error, by that path
            continue
        if (
            outcome.action != "create"
            or outcome.data is None
            or outcome.data.files
            or not outcome.key
            or not outcome.data.text.strip()
        ):
            leftovers.append(message.pk)
            continue
        candidates.append((message, outcome))
    known = _existing_keys(candidates)
    items = []
    seen: set[tuple[int, str]] = set()
    for message, outcome in candidates:
        key = (message.source_id, outcome.key)
        if key in known or key in seen:
            leftovers.append(message.pk)  # a redelivery or an edit of a known post
            continue
        seen.add(key)
        items.append(_Item(message, outcome, _signal(message, outcome)))
    return items, leftovers


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


def _signal(message: InboundMessage, outcome: Outcome) -> Signal:
    return Signal(**signal_fields(message, outcome), status=Status.NEW)


def _decide(items: list[_Item]) -> None:
    """Everything the one-message path decides, in the same order, with shared lookups."""
    memo = _Memo()
    for item in items:
        signal, data = item.signal, item.outcome.data
        assert data is not None
        region_id = signal.region_id
        signal.municipality = memo.get(
            ("municipality", region_id, data.municipality_hint),
            _municipality,
            region_id,
            data.municipality_hint,
        )
        signal.category = memo.get(
            ("category", region_id, data.category_hint), _category, region_id, data.category_hint
        )
    duplicates = NearDuplicateIndex.load([item.signal for item in items])
    for item in items:
        item.original = duplicates.find(item.signal)
        if item.original is None:
            duplicates.add(item.signal)
        else:
            item.signal.status = Status.REJECTED  # set aside; linked once numbers exist
    _classify(items, memo)
    for item in items:
        if item.original is None:
            _route(item, memo)
    for item in items:
        _deadlines(item.signal, memo)


def _classify(items: list[_Item], memo: _Memo) -> None:
    rule_note = str(_("Classification rule"))
    unknown: dict[int, list[_Item]] = defaultdict(list)
    for item in items:
        signal = item.signal
        if item.original is not None or signal.category_id is not None:
            continue
        rules = memo.get(("rules", signal.region_id), classification_rules, signal.region_id)
        category = classify_by_rules(signal, rules)
        if category is not None:
            signal.category, item.category_note = category, rule_note
        else:
            unknown[signal.region_id].append(item)
    for region_id, waiting in unknown.items():
        predictions = classify_by_model(region_id=region_id, texts=[i.signal.text for i in waiting])
        chosen = {p.category_id for p in predictions if p is not None}
        categories = Category.objects.in_bulk(list(chosen), field_name="pk") if chosen else {}
        for item, prediction in zip(waiting, predictions, strict=True):
            if prediction is None:
                continue
            category = categories.get(prediction.category_id)
            if category is None or not category.is_active or category.region_id != region_id:
                continue
            item.signal.category = category
            item.category_note = _("Text classifier v%(version)s, confidence %(confidence).2f") % {
                "version": prediction.version,
                "confidence": prediction.confidence,
            }


def _route(item: _Item, memo: _Memo) -> None:
    signal, source = item.signal, item.signal.source
    assert source is not None and item.outcome.data is not None
    page_id, agency_id = item.outcome.page_id, item.outcome.data.agency_id
    agency: Agency | None = memo.get(
        ("page", source.pk, page_id, agency_id), _page_agency, source, page_id, agency_id
    )
    if agency is not None and agency.is_active and agency.region_id == signal.region_id:
        signal.agency, item.route_reason = agency, str(_("Official page of the agency"))
    else:
        rules = memo.get(("routing", signal.region_id), routing_rules, signal.region_id)
        rule = route_by_rules(signal, rules)
        if rule is None:
            return
        signal.agency, item.route_reason = rule.agency, str(rule)
        if rule.executor_id is not None:
            members = memo.get(("members", signal.region_id), _rule_members, rules)
            if (rule.executor_id, rule.agency_id) in members:
                signal.assignee = rule.executor
    signal.status = Status.IN_PROGRESS


def _rule_members(rules: list[RoutingRule]) -> set[tuple[int, int]]:
    """(executor, agency) pairs of the rules that are real memberships."""
    return set(
        Membership.objects.filter(
            agency_id__in={rule.agency_id for rule in rules if rule.executor_id},
            user_id__in={rule.executor_id for rule in rules if rule.executor_id},
        ).values_list("user_id", "agency_id")
    )


def _deadlines(signal: Signal, memo: _Memo) -> None:
    """The deadlines the signal ends with, computed once with its final agency and category."""
    signal.sla_started_at = signal.received_at
    version = sla.sla_version_for(signal, cache=memo.sla)
    if version is None:
        sla.sla_refresh(signal, fired=set())
        return
    signal.sla_version = version
    schedule = sla.schedule_for_signal(signal, cache=memo.sla)
    for name, value in sla._compute_dues(signal, sla.terms_of(version), schedule).items():
        setattr(signal, name, value)
    sla.sla_refresh(signal, schedule=schedule, fired=set())


def _write(items: list[_Item]) -> None:
    _number(items)
    for item, pk in zip(items, reserve_ids(Signal, len(items)), strict=True):
        item.signal.pk = pk
    for item in items:
        if item.original is not None:
            item.signal.duplicate_of_id = item.original.pk
            item.signal.rejection_reason = _("Repeat of signal %(number)s") % {
                "number": item.original.number
            }
    copy_instances([item.signal for item in items])
    with connection.cursor() as cursor:
        copy_rows(
            cursor,
            "signals_app_signalevent",
            EVENT_COLUMNS,
            (row for item in items for row in _events(item)),
        )
    Attachment.objects.bulk_create(
        [
            Attachment(
                signal=item.signal,
                url=attachment["url"],
                name=attachment["name"] or attachment["url"].rsplit("/", 1)[-1][:300],
            )
            for item in items
            for attachment in (item.outcome.data.attachments if item.outcome.data else [])
        ],
        batch_size=1000,
    )
    notify_arrivals([item.signal for item in items])
    _webhooks([item.signal for item in items])
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE signals_app_inboundmessage m
               SET state = 'processed', error = '', attempts = m.attempts + 1,
                   signal_id = d.signal_id, processed_at = %s
              FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, signal_id)
             WHERE m.id = d.id
            """,
            [
                timezone.now(),
                [item.message.pk for item in items],
                [item.signal.pk for item in items],
            ],
        )


def _number(items: list[_Item]) -> None:
    groups: dict[tuple[int, int], list[_Item]] = defaultdict(list)
    for item in items:
        signal = item.signal
        zone = zoneinfo.ZoneInfo(signal.region.time_zone)
        groups[(signal.region_id, timezone.localtime(signal.received_at, zone).year)].append(item)
    for (_region_id, year), group in sorted(groups.items()):
        region = group[0].signal.region
        first = signal_number_allocate(region=region, year=year, count=len(group))
        for offset, item in enumerate(group):
            item.signal.number = signal_number_format(
                region_code=region.code, year=year, value=first + offset
            )


EVENT_COLUMNS = (
    "signal_id", "kind", "from_status", "to_status", "changes", "reason", "created_at",
)  # fmt: skip


def _webhooks(signals: list[Signal]) -> None:
    """The same events as the one-by-one path: created, then the move made at intake."""
    outbound.webhook_emit_many(event=WebhookEvent.SIGNAL_CREATED, signals=signals)
    moved = [signal for signal in signals if signal.status != Status.NEW]
    outbound.webhook_emit_many(
        event=WebhookEvent.STATUS_CHANGED, signals=moved,
        extra={s.pk: {"from_status": Status.NEW, "to_status": s.status} for s in moved},
    )  # fmt: skip


def _events(item: _Item) -> list[tuple]:
    """The timeline rows (the system is the actor; the time is the transaction's)."""
    signal = item.signal
    now = timezone.now()

    def event(kind: str, *, source: str = "", target: str = "", changes: Any = None,
              reason: str = "") -> tuple:  # fmt: skip
        return (signal.pk, kind, source, target, Jsonb(changes or {}), reason, now)

    events = [
        event(SignalEvent.Kind.CREATED, target=Status.NEW, changes={"channel": signal.channel})
    ]
    if signal.sla_version is not None:
        version = signal.sla_version
        events.append(
            event(
                SignalEvent.Kind.SLA_ASSIGNED,
                changes={
                    "policy": version.policy_id,
                    "version": version.number,
                    "due": sla._dues_snapshot(signal),
                },
            )
        )
    if item.original is not None:
        events.append(
            event(
                SignalEvent.Kind.STATUS_CHANGED, source=Status.NEW, target=Status.REJECTED,
                reason=signal.rejection_reason,
            )
        )  # fmt: skip
        return events
    if item.category_note:
        events.append(
            event(
                SignalEvent.Kind.CATEGORY_CHANGED,
                changes={"category": [None, signal.category_id]},
                reason=item.category_note,
            )
        )
    if signal.agency_id is not None:
        events.append(
            event(
                SignalEvent.Kind.ROUTED,
                changes={
                    "agency": [None, signal.agency_id],
                    "assignee": [None, signal.assignee_id],
                },
                reason=item.route_reason,
            )
        )
        events.append(
            event(SignalEvent.Kind.STATUS_CHANGED, source=Status.NEW, target=Status.IN_PROGRESS)
        )
    return events
