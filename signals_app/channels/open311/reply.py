"""Answers to Open311 clients: our GeoReport v2 endpoint is where a client reads the status
and the answer, so a published answer is delivered by being shown there."""

from __future__ import annotations

from typing import Any

from signals_app.channels.spec import Plan, Result
from signals_app.models import Reply, Signal

IDEMPOTENT = {"open311.status"}


def plan(signal: Signal) -> Plan:
    return Plan("open311.status", {"service_request_id": signal.number})


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    return Result("delivered", remote_id=signal.number)
