"""Answers to Telegram: a reply to the citizen's message in the same chat. Telegram has no
idempotency key: a call interrupted after it was sent may have arrived, so it is never sent
again by itself (see the outbound engine). 429 carries `retry_after`."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from signals_app.channels.payload import survey_button_data
from signals_app.channels.spec import Plan, Result, network_failure, reply_token, timeout
from signals_app.models import Reply, Signal, Source

TELEGRAM_LIMIT = 4096
IDEMPOTENT: set[str] = set()


def plan(signal: Signal) -> Plan:
    chat, _sep, message = (signal.external_id or "").rpartition("_")
    if not chat or not message.isdigit():
        return Plan("", reason=_("The Telegram message this answers is not known."))
    return Plan("telegram.sendMessage", {"chat_id": chat, "reply_to": int(message)})


def survey_buttons(signal: Signal) -> dict[str, Any]:
    from signals_app.citizen import survey_button_labels

    yes, no = survey_button_labels()
    key = signal.public_key.hex
    return {"inline_keyboard": [[
        {"text": yes, "callback_data": survey_button_data(key, True)},
        {"text": no, "callback_data": survey_button_data(key, False)},
    ]]}  # fmt: skip


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    return _send_telegram(target, reply, signal)


def _token(target: dict[str, Any], signal: Signal) -> str:
    """The signal's own bot, or the one a subscriber's chat was started with (`bot`: a source
    id, for the news of a signal that came by another channel)."""
    if target.get("bot"):
        found = Source.objects.filter(pk=target["bot"], is_active=True).values_list(
            "reply_token", flat=True
        )
        return next(iter(found), "") or ""
    return reply_token(signal)


def _send_telegram(target: dict[str, Any], reply: Reply, signal: Signal) -> Result:
    token = _token(target, signal)
    if not token:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no Telegram bot token for answers."))  # fmt: skip
    if len(reply.text) > TELEGRAM_LIMIT:
        return Result("permanent", error_code="too_long",
                      detail=_("Telegram takes at most 4096 characters in a message."))  # fmt: skip
    url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{token}/sendMessage"
    payload: dict[str, Any] = {"chat_id": target["chat_id"], "text": reply.text}
    if target.get("reply_to"):
        payload["reply_parameters"] = {
            "message_id": target["reply_to"], "allow_sending_without_reply": True,
        }  # fmt: skip
    if reply.kind == Reply.Kind.SURVEY:
        payload["reply_markup"] = survey_buttons(signal)
    try:
        response = requests.post(url, json=payload, timeout=timeout())
    except requests.RequestException as error:
        return network_failure(error)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 200 and body.get("ok"):
        return Result("delivered", remote_id=str((body.get("result") or {}).get("message_id", "")),
                      http_status=200)  # fmt: skip
    description = str(body.get("description", ""))[:300]
    detail = f"Telegram {response.status_code}: {description}"
    if response.status_code == 429:
        retry_after = (body.get("parameters") or {}).get("retry_after")
        return Result("transient", retry_after=float(retry_after or 1), http_status=429,
                      error_code="telegram_429", detail=detail)  # fmt: skip
    kind = "transient" if response.status_code >= 500 else "permanent"
    return Result(kind, http_status=response.status_code,
                  error_code=f"telegram_{response.status_code}", detail=detail)  # fmt: skip
