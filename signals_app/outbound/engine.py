"""Claim, send, record: the delivery loop both outboxes share.

A row is claimed in a short transaction (state `sending`, a lease, an attempt row marked in
flight), the remote call is made outside any transaction, and the outcome is recorded in another
short one. A worker that dies between the call and the record leaves the row `sending` with an
expired lease: the sweep then sends it again where the channel de-duplicates by our key, and
otherwise marks it failed for a person to check (see `recover_stale`).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from signals_app.channels.spec import Result
from signals_app.models import Reply, Signal
from signals_app.outbound.models import DeliveryAttempt, OutboxState, ReplyDelivery
from signals_app.workflow import notify

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return int(settings.OUTBOUND_LEASE_SECONDS)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential from OUTBOUND_BACKOFF_BASE, capped, ±10 % jitter; never sooner than the
    channel asked (`retry_after`)."""
    base = float(settings.OUTBOUND_BACKOFF_BASE) * 2 ** max(0, attempts - 1)
    delay = min(base, float(settings.OUTBOUND_BACKOFF_MAX)) * random.uniform(0.9, 1.1)
    return timedelta(seconds=max(delay, retry_after or 0))


def _attempt_owner(row: models.Model) -> dict[str, Any]:
    return {"reply_delivery": row} if isinstance(row, ReplyDelivery) else {"webhook_delivery": row}


def claim(model: type[Any], pk: int) -> tuple[Any, DeliveryAttempt] | None:
    """Take a due row for sending, or None (not due, taken by another worker, or finished)."""
    now = timezone.now()
    with transaction.atomic():
        row = model.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if row is None or row.state not in (OutboxState.PENDING, OutboxState.RETRYING):
            return None
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return None
        row.state, row.attempts = OutboxState.SENDING, row.attempts + 1
        row.lease_until = now + timedelta(seconds=lease_seconds())
        row.save(update_fields=["state", "attempts", "lease_until"])
        attempt = DeliveryAttempt.objects.create(
            number=row.attempts, started_at=now, **_attempt_owner(row)
        )
    return row, attempt


def record(model: type[Any], row: Any, attempt: DeliveryAttempt, result: Result) -> Any:
    """Write the outcome of a claimed attempt; return the row as it is now."""
    now = timezone.now()
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=row.pk)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=result.kind, finished_at=now, http_status=result.http_status,
            error_code=result.error_code[:40], detail=result.detail[:1000],
        )  # fmt: skip
        if locked.state != OutboxState.SENDING or locked.attempts != attempt.number:
            # The lease ran out and the sweep has already dealt with the row: keep its verdict.
            return locked
        fields = ["state", "lease_until", "last_error", "next_attempt_at"]
        locked.lease_until = None
        if result.kind == "delivered":
            locked.state, locked.delivered_at, locked.last_error = OutboxState.DELIVERED, now, ""
            locked.next_attempt_at = None
            fields.append("delivered_at")
            if isinstance(locked, ReplyDelivery):
                locked.remote_id = result.remote_id[:100]
                fields.append("remote_id")
        elif result.kind == "transient" and locked.attempts < int(settings.OUTBOUND_MAX_ATTEMPTS):
            locked.state, locked.last_error = OutboxState.RETRYING, result.detail[:1000]
            locked.next_attempt_at = now + backoff(locked.attempts, result.retry_after)
        else:
            locked.state, locked.next_attempt_at = OutboxState.FAILED, None
            locked.last_error = result.detail[:1000] or _("The channel refused the delivery.")
        locked.save(update_fields=fields)
        if isinstance(locked, ReplyDelivery) and locked.state == OutboxState.FAILED:
            _tell_undelivered(locked)
    logger.info(
        "outbound_attempt model=%s id=%s attempt=%s outcome=%s state=%s http_status=%s code=%s",
        model.__name__, row.pk, attempt.number, result.kind, locked.state, result.http_status,
        result.error_code,
    )  # fmt: skip
    return locked


def _tell_undelivered(delivery: ReplyDelivery) -> None:
    reply = Reply.objects.get(pk=delivery.reply_id)
    signal = Signal.objects.get(pk=delivery.signal_id)
    notify.delivery_failed(signal, reply, reason=delivery.last_error)


def recover_stale(model: type[Any], *, resend: Any) -> int:
    """Rows whose worker died mid-send: resend where `resend(row)` says the channel
    de-duplicates, else fail them for a person to check. Returns how many were found."""
    now = timezone.now()
    found = 0
    with transaction.atomic():
        rows = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxState.SENDING, lease_until__lt=now)
            .order_by("pk")[:200]
        )
        for row in rows:
            found += 1
            DeliveryAttempt.objects.filter(
                outcome=DeliveryAttempt.Outcome.IN_FLIGHT, **_attempt_owner(row)
            ).update(outcome=DeliveryAttempt.Outcome.INTERRUPTED, finished_at=now)
            row.lease_until = None
            if resend(row) and row.attempts < int(settings.OUTBOUND_MAX_ATTEMPTS):
                row.state, row.next_attempt_at = OutboxState.RETRYING, now
                row.last_error = _(
                    "The worker stopped during the call; sent again with the same key."
                )
            else:
                row.state, row.next_attempt_at = OutboxState.FAILED, None
                row.last_error = _(
                    "The worker stopped during the call: the message may have arrived. Check the "
                    "channel before sending it again."
                )
            row.save(update_fields=["state", "next_attempt_at", "lease_until", "last_error"])
            if isinstance(row, ReplyDelivery) and row.state == OutboxState.FAILED:
                _tell_undelivered(row)
            logger.warning(
                "outbound_interrupted model=%s id=%s state=%s", model.__name__, row.pk, row.state
            )
    return found


def due_ids(model: type[Any], limit: int = 500) -> list[int]:
    return list(
        model.objects.filter(
            state__in=(OutboxState.PENDING, OutboxState.RETRYING),
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


__all__ = ["Result", "backoff", "claim", "due_ids", "record", "recover_stale"]
