"""Answers by the region's MAX bot: `POST /messages?chat_id=…` with the text and a reply link to
the citizen's message; the survey with two callback buttons. MAX has no idempotency key, so an
interrupted send is never repeated by itself."""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from signals_app.channels.payload import survey_button_data
from signals_app.channels.spec import Plan, Result, network_failure, reply_token, timeout
from signals_app.models import Reply, Signal, Source

logger = logging.getLogger(__name__)

IDEMPOTENT: set[str] = set()
MAX_LIMIT = 4000  # characters of a message's text


def plan(signal: Signal) -> Plan | None:
    if not signal.thread_id.lstrip("-").isdigit():
        return None  # no chat to answer in: e-mail, if the author left one
    target: dict[str, Any] = {"chat_id": int(signal.thread_id)}
    if signal.external_id.startswith("mid."):
        target["reply_to"] = signal.external_id
    return Plan("max.messages", target)


def _url(name: str) -> str:
    return f"{settings.MAX_API_URL.rstrip('/')}/{name}"


def survey_buttons(signal: Signal) -> list[dict[str, Any]]:
    from signals_app.citizen import survey_button_labels

    yes, no = survey_button_labels()
    key = signal.public_key.hex
    return [{"type": "inline_keyboard", "payload": {"buttons": [[
        {"type": "callback", "text": yes, "payload": survey_button_data(key, True)},
        {"type": "callback", "text": no, "payload": survey_button_data(key, False)},
    ]]}}]  # fmt: skip


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    token = reply_token(signal)
    if not token:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no MAX bot token for answers."))  # fmt: skip
    if len(reply.text) > MAX_LIMIT:
        return Result("permanent", error_code="too_long",
                      detail=_("MAX takes at most 4000 characters in a message."))  # fmt: skip
    body: dict[str, Any] = {"text": reply.text, "notify": True}
    if target.get("reply_to"):
        body["link"] = {"type": "reply", "mid": target["reply_to"]}
    if reply.kind == Reply.Kind.SURVEY:
        body["attachments"] = survey_buttons(signal)
    try:
        response = requests.post(
            _url("messages"), params={"chat_id": target["chat_id"]}, json=body,
            headers={"Authorization": token}, timeout=timeout(),
        )  # fmt: skip
    except requests.RequestException as error:
        return network_failure(error)
    return _result(response)


def _result(response: requests.Response) -> Result:
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    status = response.status_code
    if status == 200 and isinstance(answer.get("message"), dict):
        sent = answer["message"].get("body") or {}
        return Result("delivered", remote_id=str(sent.get("mid", ""))[:100], http_status=200)
    code = str(answer.get("code", ""))[:50]
    detail = f"MAX {status}: {code} {str(answer.get('message', ''))[:300]}".strip()
    if status == 429:
        retry = response.headers.get("Retry-After", "")
        return Result("transient", retry_after=float(retry) if retry.isdigit() else None,
                      http_status=429, error_code="max_429", detail=detail)  # fmt: skip
    kind = "transient" if status >= 500 else "permanent"
    return Result(kind, http_status=status, error_code=f"max_{status}", detail=detail)


def callback_answer(source: Source, callback_id: str) -> bool:
    """Answer a pressed survey button (`POST /answers`): MAX shows the citizen a short note and
    the button stops waiting. Best effort, within two seconds: the answer itself is recorded
    from the inbox whatever happens here."""
    from signals_app.citizen import citizen_language

    if not callback_id or not source.reply_token:
        return False
    with citizen_language():
        thanks = _("Thank you, your answer is recorded.")
    try:
        response = requests.post(
            _url("answers"), params={"callback_id": callback_id},
            json={"notification": thanks}, headers={"Authorization": source.reply_token},
            timeout=min(2.0, timeout()),
        )  # fmt: skip
    except requests.RequestException as error:
        logger.warning("max_callback_answer_failed error=%s", type(error).__name__)
        return False
    return response.status_code == 200
