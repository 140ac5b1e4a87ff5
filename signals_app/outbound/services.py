"""Writes of the outbound package: put a published reply or an event into its outbox (inside
the caller's transaction), send one row, retry by hand, sweep what is due."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Role, User
from signals_app import channels, dispatch
from signals_app.errors import InvalidTransition
from signals_app.locks import signal_lock
from signals_app.models import Notification, Reply, Signal
from signals_app.outbound import engine
from signals_app.outbound.models import (
    UNDELIVERED,
    OutboxState,
    ReplyDelivery,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from signals_app.workflow.actions import authorize

logger = logging.getLogger(__name__)


# --- replies --------------------------------------------------------------------------------


# A survey waits while an earlier message to the same citizen is still on its way (so that
# «Проблема решена?» never arrives before the answer it asks about); it looks again then.
SURVEY_RECHECK = timedelta(minutes=1)
ON_ITS_WAY = (OutboxState.PENDING, OutboxState.RETRYING, OutboxState.SENDING)


def _survey_waits(delivery_id: int) -> bool:
    row = (
        ReplyDelivery.objects.filter(pk=delivery_id, reply__kind=Reply.Kind.SURVEY)
        .values("signal_id", "created_at")
        .first()
    )
    if row is None:
        return False
    earlier = ReplyDelivery.objects.filter(
        signal_id=row["signal_id"], created_at__lt=row["created_at"]
    ).exclude(pk=delivery_id)
    if earlier.filter(state__in=ON_ITS_WAY).exists():
        ReplyDelivery.objects.filter(pk=delivery_id, state__in=ON_ITS_WAY[:2]).update(
            next_attempt_at=timezone.now() + SURVEY_RECHECK
        )
        return True
    if earlier.filter(state__in=UNDELIVERED, reply__kind=Reply.Kind.FINAL).exists():
        _survey_dropped(delivery_id)
        return True
    return False


@transaction.atomic
def _survey_dropped(delivery_id: int) -> None:
    """The answer never reached the citizen: asking whether it solved the problem makes no
    sense, so the survey is not sent, and says why."""
    from signals_app.models import Survey

    reason = _("The answer did not reach the citizen, so they were not asked.")
    locked = ReplyDelivery.objects.select_for_update().get(pk=delivery_id)
    if locked.state not in ON_ITS_WAY[:2]:
        return
    locked.state, locked.next_attempt_at, locked.last_error = OutboxState.SKIPPED, None, reason
    locked.save(update_fields=["state", "next_attempt_at", "last_error"])
    Survey.objects.filter(question_id=locked.reply_id, state=Survey.State.ASKED).update(
        state=Survey.State.NOT_ASKED, reason=reason
    )
    logger.info("survey_dropped delivery_id=%s", delivery_id)


def reply_delivery_send(*, delivery_id: int) -> ReplyDelivery | None:
    """One attempt at a due reply delivery (None if it is not due or someone else has it)."""
    if _survey_waits(delivery_id):
        return None
    claimed = engine.claim(ReplyDelivery, delivery_id)
    if claimed is None:
        return None
    delivery, attempt = claimed
    reply = Reply.objects.get(pk=delivery.reply_id)
    signal = Signal.objects.select_related("source").get(pk=delivery.signal_id)
    try:
        result = channels.reply_send(
            method=delivery.method, target=delivery.target, key=delivery.key, reply=reply,
            signal=signal,
        )  # fmt: skip
    except Exception as error:  # a bug must not leave the row "sending" until the lease ends
        logger.exception("reply_delivery_crashed delivery_id=%s", delivery_id)
        result = engine.Result("transient", error_code="crash", detail=type(error).__name__)
    return engine.record(ReplyDelivery, delivery, attempt, result)


@transaction.atomic
def reply_delivery_retry(*, delivery: ReplyDelivery, actor: User) -> ReplyDelivery:
    """Send a failed delivery again now (the centre's analysts, from the signal page)."""
    signal = signal_lock(delivery.signal_id)  # the lock order: the signal, then its rows
    locked = ReplyDelivery.objects.select_for_update().get(pk=delivery.pk)
    authorize("redeliver", actor=actor, signal=signal)
    if locked.state != OutboxState.FAILED:
        raise InvalidTransition(_("Only a failed delivery can be sent again."))
    locked.state, locked.next_attempt_at, locked.attempts = OutboxState.PENDING, timezone.now(), 0
    locked.save(update_fields=["state", "next_attempt_at", "attempts"])
    logger.info("reply_delivery_retried delivery_id=%s actor_id=%s", locked.pk, actor.pk)
    dispatch.send_on_commit("outbound.deliver_reply", locked.pk)
    return locked


@transaction.atomic
def reply_delivery_handed(*, delivery: ReplyDelivery, reason: str, actor: User) -> ReplyDelivery:
    """The citizen got the answer another way (a call, a letter): say how, and stop showing
    it as undelivered. The channel is never tried again for it."""
    signal = signal_lock(delivery.signal_id)
    locked = ReplyDelivery.objects.select_for_update().get(pk=delivery.pk)
    authorize("handed", actor=actor, signal=signal)
    if locked.state not in UNDELIVERED:
        raise InvalidTransition(_("Only an answer the citizen has not got can be marked so."))
    locked.state, locked.next_attempt_at = OutboxState.HANDED, None
    locked.handed_reason, locked.handed_by, locked.delivered_at = reason, actor, timezone.now()
    locked.save(update_fields=["state", "next_attempt_at", "handed_reason", "handed_by",
                               "delivered_at"])  # fmt: skip
    logger.info("reply_delivery_handed delivery_id=%s actor_id=%s", locked.pk, actor.pk)
    return locked


# --- webhooks -------------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret, hex."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    claimed = engine.claim(WebhookDelivery, delivery_id)
    if claimed is None:
        return None
    delivery, attempt = claimed
    subscription = WebhookSubscription.objects.get(pk=delivery.subscription_id)
    if not subscription.is_active:
        result = engine.Result("permanent", error_code="disabled",
                               detail=_("The subscription is disabled."))  # fmt: skip
        return engine.record(WebhookDelivery, delivery, attempt, result)
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-CUR-Event": delivery.event,
        "X-CUR-Delivery": str(delivery.event_id),
        "X-CUR-Timestamp": timestamp,
        "X-CUR-Signature": "sha256=" + webhook_signature(subscription.secret, timestamp, body),
    }
    try:
        response = requests.post(
            subscription.url, data=body, headers=headers, timeout=float(settings.OUTBOUND_TIMEOUT),
            allow_redirects=False,
        )  # fmt: skip
        status = response.status_code
        if 200 <= status < 300:
            result = engine.Result("delivered", http_status=status)
        else:
            kind = "transient" if status in (408, 425, 429) or status >= 500 else "permanent"
            result = engine.Result(kind, http_status=status, error_code=f"http_{status}",
                                   detail=f"HTTP {status}")  # fmt: skip
    except requests.RequestException as error:
        result = engine.Result("transient", error_code="network", detail=type(error).__name__)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status=result.http_status)
    row = engine.record(WebhookDelivery, delivery, attempt, result)
    _count_failures(subscription, delivered=result.kind == "delivered")
    return row


def _count_failures(subscription: WebhookSubscription, *, delivered: bool) -> None:
    """A run of failed attempts disables the subscription and tells the administrators."""
    if delivered:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        return
    limit = int(settings.WEBHOOK_DISABLE_AFTER)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        locked.consecutive_failures = F("consecutive_failures") + 1
        locked.save(update_fields=["consecutive_failures"])
        locked.refresh_from_db(fields=["consecutive_failures"])
        if not locked.is_active or locked.consecutive_failures < limit:
            return
        locked.is_active, locked.disabled_at = False, timezone.now()
        locked.disabled_reason = _("%(count)d failed deliveries in a row.") % {"count": limit}
        locked.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        WebhookDelivery.objects.filter(
            subscription=locked, state__in=(OutboxState.PENDING, OutboxState.RETRYING)
        ).update(state=OutboxState.FAILED, last_error=_("The subscription is disabled."))
        admins = User.objects.filter(is_active=True).filter(
            groups__name=Role.ADMINISTRATOR
        ) | User.objects.filter(is_active=True, is_superuser=True)
        title = _("Webhook «%(name)s» disabled after %(count)d failures in a row") % {
            "name": locked.name, "count": limit,
        }  # fmt: skip
        link = reverse("admin:signals_app_webhooksubscription_change", args=[locked.pk])
        Notification.objects.bulk_create(
            Notification(user=user, kind="webhook", title=title, body=link)
            for user in admins.distinct()
        )
    logger.warning("webhook_disabled subscription_id=%s failures=%s", subscription.pk, limit)


def webhook_subscription_enable(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Switch a disabled subscription back on with a clean failure count (from the admin)."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )
    logger.info("webhook_enabled subscription_id=%s", subscription.pk)
    subscription.refresh_from_db()
    return subscription


# --- the sweep ------------------------------------------------------------------------------


def outbound_sweep() -> dict[str, int]:
    """Recover rows whose worker died, then queue every due delivery."""
    recovered = engine.recover_stale(
        ReplyDelivery, resend=lambda row: channels.idempotent(row.method)
    ) + engine.recover_stale(WebhookDelivery, resend=lambda row: True)
    replies = engine.due_ids(ReplyDelivery)
    hooks = engine.due_ids(WebhookDelivery)
    for pk in replies:
        dispatch.send("outbound.deliver_reply", pk)
    for pk in hooks:
        dispatch.send("outbound.deliver_webhook", pk)
    return {"recovered": recovered, "replies": len(replies), "webhooks": len(hooks)}


__all__ = ["WebhookEvent", "outbound_sweep"]
