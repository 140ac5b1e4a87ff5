"""Thin tasks: ids in, one service call (see services.py)."""

from __future__ import annotations

from celery import shared_task

from signals_app.outbound import services


@shared_task(name="outbound.deliver_reply", acks_late=True)
def deliver_reply(delivery_id: int) -> str | None:
    row = services.reply_delivery_send(delivery_id=delivery_id)
    return row.state if row is not None else None


@shared_task(name="outbound.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int) -> str | None:
    row = services.webhook_delivery_send(delivery_id=delivery_id)
    return row.state if row is not None else None


@shared_task(name="outbound.sweep", acks_late=True)
def sweep() -> dict[str, int]:
    return services.outbound_sweep()
