"""Answers to the feedback platform (ПОС): posted to `POS_API_URL` with an Idempotency-Key,
so an interrupted call may be sent again (409: the platform has this answer already)."""

from __future__ import annotations

import json
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from signals_app.channels.spec import Plan, Result, network_failure, timeout
from signals_app.models import Reply, Signal

IDEMPOTENT = {"pos.answer"}


def plan(signal: Signal) -> Plan:
    return Plan("pos.answer", {"external_id": signal.external_id})


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    return _send_pos(target, key, reply, signal)


def _send_pos(target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    if not settings.POS_API_URL:
        return Result("permanent", error_code="not_configured",
                      detail=_("POS_API_URL is not set: the platform cannot be reached."))  # fmt: skip
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    if settings.POS_API_TOKEN:
        headers["Authorization"] = f"Bearer {settings.POS_API_TOKEN}"
    body = {
        "external_id": target["external_id"], "number": signal.number, "text": reply.text,
        "kind": reply.kind,
        "published_at": reply.published_at.isoformat() if reply.published_at else None,
    }  # fmt: skip
    try:
        response = requests.post(
            settings.POS_API_URL, data=json.dumps(body, ensure_ascii=False).encode(),
            headers=headers, timeout=timeout(),
        )  # fmt: skip
    except requests.RequestException as error:
        return network_failure(error)
    status = response.status_code
    if 200 <= status < 300 or status == 409:  # 409: the platform already has this answer
        try:
            remote = str((response.json() or {}).get("id", ""))
        except ValueError:
            remote = ""
        return Result("delivered", remote_id=remote, http_status=status)
    detail = f"POS {status}: {response.text[:300]}"
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After", "")
        return Result("transient", http_status=status, error_code=f"pos_{status}", detail=detail,
                      retry_after=float(retry_after) if retry_after.isdigit() else None)  # fmt: skip
    return Result("permanent", http_status=status, error_code=f"pos_{status}", detail=detail)
