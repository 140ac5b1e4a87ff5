"""The outboxes (floor 2): rows written inside the transaction of the change they announce.

A published reply gets a delivery row planned for its signal's channel; a change of a signal
gets a webhook event per subscription that wants it. Both exist exactly when the change does
(a rolled-back change leaves none); the first attempt is queued on commit, and the outbound
sweep stands behind it. Sending is `outbound.services`' business.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone

from agencies.models import Region
from signals_app import channels, dispatch
from signals_app.models import Reply, Signal
from signals_app.outbound.models import (
    OutboxState,
    ReplyDelivery,
    WebhookDelivery,
    WebhookSubscription,
)


def reply_deliveries_enqueue(
    *, pairs: list[tuple[Reply, Signal]], delay: timedelta | None = None
) -> list[ReplyDelivery]:
    """Outbox rows for replies being published, each planned for its own signal's channel;
    call inside the publishing transaction (the first attempt goes on commit, or with a
    `delay` when the outbound sweep finds it due)."""
    now = timezone.now()
    first = now + delay if delay else now
    rows = []
    for reply, signal in pairs:
        planned = channels.reply_plan(signal)
        rows.append(
            ReplyDelivery(
                reply=reply, signal=signal, method=planned.method, target=planned.target,
                key=uuid.uuid4().hex,
                state=OutboxState.PENDING if planned.method else OutboxState.SKIPPED,
                next_attempt_at=first if planned.method else None, last_error=planned.reason,
            )
        )  # fmt: skip
    made = ReplyDelivery.objects.bulk_create(rows)
    if not delay:
        dispatch.send_each_on_commit(
            "outbound.deliver_reply", [row.pk for row in made if row.method]
        )
    return made


def reply_delivery_to(
    *, reply: Reply, signal: Signal, method: str, target: dict[str, Any]
) -> ReplyDelivery:
    """An outbox row for a message to somewhere other than the signal's own channel (a
    subscriber's e-mail); inside the publishing transaction, sent on commit."""
    row = ReplyDelivery.objects.create(
        reply=reply, signal=signal, method=method, target=target, key=uuid.uuid4().hex,
        state=OutboxState.PENDING, next_attempt_at=timezone.now(),
    )  # fmt: skip
    dispatch.send_each_on_commit("outbound.deliver_reply", [row.pk])
    return row


def signal_summary(signal: Signal, region_code: str) -> dict[str, Any]:
    """What a webhook tells of a signal: no author, no text (personal data stays here)."""
    return {
        "number": signal.number, "region": region_code, "channel": signal.channel,
        "status": signal.status, "priority": signal.priority, "category_id": signal.category_id,
        "agency_id": signal.agency_id, "municipality_id": signal.municipality_id,
        "received_at": signal.received_at, "next_deadline_at": signal.next_deadline_at,
        "escalation_level": signal.escalation_level, "is_overdue": signal.is_overdue,
        "url": settings.SITE_URL.rstrip("/") + reverse("api:signal_detail", args=[signal.number]),
    }  # fmt: skip


def webhook_emit(*, event: str, signal: Signal, extra: dict[str, Any] | None = None) -> int:
    """One event of one signal; see `webhook_emit_many`."""
    return webhook_emit_many(event=event, signals=[signal], extra={signal.pk: extra or {}})


def webhook_emit_many(
    *, event: str, signals: list[Signal], extra: dict[int, dict[str, Any]] | None = None
) -> int:
    """An event per signal for every active subscription that wants it (its region's or all).

    Call inside the transaction of the change, so the events exist exactly when the change
    does; the first attempt goes on commit. One query when nobody subscribes.
    """
    if not signals:
        return 0
    subscriptions = list(
        WebhookSubscription.objects.filter(is_active=True, events__contains=[event]).only(
            "pk", "region_id"
        )
    )
    if not subscriptions:
        return 0
    codes = dict(
        Region.objects.filter(pk__in={s.region_id for s in signals}).values_list("pk", "code")
    )
    now = timezone.now()
    rows = []
    for signal in signals:
        wanted = [sub for sub in subscriptions if sub.region_id in (None, signal.region_id)]
        if not wanted:
            continue
        event_id = uuid.uuid4()
        data = {"signal": signal_summary(signal, codes.get(signal.region_id, "")),
                **((extra or {}).get(signal.pk) or {})}  # fmt: skip
        payload = json.loads(
            json.dumps({"id": str(event_id), "type": event, "created_at": now, "data": data},
                       cls=DjangoJSONEncoder)
        )  # fmt: skip
        rows += [
            WebhookDelivery(subscription_id=sub.pk, event=event, event_id=event_id,
                            payload=payload, next_attempt_at=now)
            for sub in wanted
        ]  # fmt: skip
    made = WebhookDelivery.objects.bulk_create(rows)
    dispatch.send_each_on_commit("outbound.deliver_webhook", [row.pk for row in made])
    return len(made)
