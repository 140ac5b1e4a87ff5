"""Answers by the group, in the citizen's chat with it: `POST /graph/me/messages/<chat id>`
with the group's token (OK's Bot API for groups). OK has no idempotency key, so an
interrupted send is never repeated by itself."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from signals_app.channels.spec import Plan, Result, network_failure, reply_token, timeout
from signals_app.models import Reply, Signal

IDEMPOTENT: set[str] = set()
OK_LIMIT = 4000
TRANSIENT_CODES = {1, 2, 3}  # UNKNOWN, SERVICE, METHOD (temporarily unavailable)


def plan(signal: Signal) -> Plan | None:
    if not signal.thread_id.startswith("chat:"):
        return None  # not a chat (an import): e-mail, if the author left one
    return Plan("ok.messages", {"chat_id": signal.thread_id})


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    token = reply_token(signal)
    if not token:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no OK group token for answers."))  # fmt: skip
    if len(reply.text) > OK_LIMIT:
        return Result("permanent", error_code="too_long",
                      detail=_("OK takes at most 4000 characters in a message."))  # fmt: skip
    url = f"{settings.OK_API_URL.rstrip('/')}/graph/me/messages/{target['chat_id']}"
    body = {"recipient": {"chat_id": target["chat_id"]}, "message": {"text": reply.text}}
    try:
        response = requests.post(
            url, params={"access_token": token}, json=body, timeout=timeout(),
            headers={"Content-Type": "application/json;charset=utf-8"},
        )  # fmt: skip
    except requests.RequestException as error:
        return network_failure(error)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    status = response.status_code
    if status == 200 and "error_code" not in answer:
        return Result("delivered", remote_id=str(answer.get("message_id", ""))[:100],
                      http_status=200)  # fmt: skip
    code = answer.get("error_code")
    detail = f"OK {status}: {code or ''} {str(answer.get('error_msg', ''))[:300]}".strip()
    if status == 429 or status >= 500 or code in TRANSIENT_CODES:
        return Result("transient", http_status=status, error_code=f"ok_{code or status}",
                      detail=detail)  # fmt: skip
    return Result("permanent", http_status=status, error_code=f"ok_{code or status}",
                  detail=detail)  # fmt: skip
