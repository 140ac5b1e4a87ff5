"""Where a published reply goes, and how each channel is called.

`plan` decides at publication (inside its transaction) what the delivery will do; `send` makes
one remote call and says what it came to. The base URLs come from settings, so the tests point
them at a local stand-in server. The remote APIs' own field names and error codes drive the
outcome: VK errors 6 (too many requests per second), 9 (flood control), 1 and 10 (its own
failures) are temporary, the rest permanent; Telegram 429 carries `retry_after`; 5xx and network
errors are temporary everywhere.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from signals_app.choices import Channel
from signals_app.models import Reply, Signal
from signals_app.outbound.engine import Result

VK_TRANSIENT = {
    1,
    6,
    9,
    10,
    223,
}  # unknown, too many per second, flood control, server, too many replies
TELEGRAM_LIMIT = 4096


@dataclass
class Plan:
    method: str  # "" when the reply cannot travel back: `reason` says why
    target: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


# Methods that de-duplicate by our key, so a delivery interrupted mid-call may be sent again.
IDEMPOTENT = {
    "vk.wall.createComment", "vk.board.createComment", "vk.photos.createComment",
    "vk.video.createComment", "vk.messages.send", "pos.answer", "open311.status",
}  # fmt: skip

_VK_KEY = re.compile(r"^(?P<kind>[a-z_]+):(?P<parts>-?\d+(?:_-?\d+)*)$")


def _email_of(signal: Signal) -> str:
    contact = (signal.author_contact or "").strip()
    try:
        validate_email(contact)
    except ValidationError:
        return ""
    return contact


def plan(signal: Signal) -> Plan:
    """How a reply to this signal reaches its author."""
    if signal.channel == Channel.VK:
        return _plan_vk(signal)
    if signal.channel == Channel.TELEGRAM:
        chat, _sep, message = (signal.external_id or "").rpartition("_")
        if not chat or not message.isdigit():
            return Plan("", reason=_("The Telegram message this answers is not known."))
        return Plan("telegram.sendMessage", {"chat_id": chat, "reply_to": int(message)})
    if signal.channel == Channel.POS:
        return Plan("pos.answer", {"external_id": signal.external_id})
    if signal.channel == Channel.OPEN311:
        # Our GeoReport v2 endpoint is where an Open311 client reads the answer.
        return Plan("open311.status", {"service_request_id": signal.number})
    address = _email_of(signal)
    if address:
        return Plan("email", {"to": address})
    return Plan("", reason=_("The author left no way back (no e-mail for this channel)."))


def _plan_vk(signal: Signal) -> Plan:
    found = _VK_KEY.match(signal.external_id or "")
    if not found:
        return Plan("", reason=_("The VK post or message this answers is not known."))
    kind, parts = found["kind"], [int(part) for part in found["parts"].split("_")]
    owner = parts[0]
    group = {"from_group": -owner} if owner < 0 else {}
    if kind == "wall_reply" and len(parts) == 3:
        return Plan("vk.wall.createComment",
                    {"owner_id": owner, "post_id": parts[1], "reply_to_comment": parts[2], **group})  # fmt: skip
    if kind == "wall_post" and len(parts) == 2:
        return Plan("vk.wall.createComment", {"owner_id": owner, "post_id": parts[1], **group})
    if kind == "board_post" and len(parts) == 3:
        return Plan("vk.board.createComment",
                    {"group_id": -owner, "topic_id": parts[1], "from_group": 1})  # fmt: skip
    if kind == "photo_comment" and len(parts) == 3:
        return Plan("vk.photos.createComment",
                    {"owner_id": owner, "photo_id": parts[1], "reply_to_comment": parts[2], **group})  # fmt: skip
    if kind == "video_comment" and len(parts) == 3:
        return Plan("vk.video.createComment",
                    {"owner_id": owner, "video_id": parts[1], "reply_to_comment": parts[2], **group})  # fmt: skip
    if kind == "message" and len(parts) == 2:
        return Plan("vk.messages.send", {"peer_id": parts[0]})
    return Plan("", reason=_("The VK post or message this answers is not known."))


# --- sending --------------------------------------------------------------------------------


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    """One remote call for a reply delivery."""
    if method.startswith("vk."):
        return _send_vk(method[3:], target, key, reply, signal)
    if method == "telegram.sendMessage":
        return _send_telegram(target, reply, signal)
    if method == "pos.answer":
        return _send_pos(target, key, reply, signal)
    if method == "email":
        return _send_email(target, key, reply, signal)
    if method == "open311.status":
        return Result("delivered", remote_id=signal.number)
    return Result("permanent", error_code="unknown_method", detail=method)


def _timeout() -> float:
    return float(settings.OUTBOUND_TIMEOUT)


def _network_failure(error: requests.RequestException) -> Result:
    return Result("transient", error_code="network", detail=type(error).__name__)


def _reply_token(signal: Signal) -> str:
    source = signal.source
    return (source.reply_token if source is not None else "") or ""


def _send_vk(method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    token = _reply_token(signal)
    if not token:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no VK access token for answers."))  # fmt: skip
    params: dict[str, Any] = {**target, "message": reply.text, "access_token": token,
                              "v": settings.VK_API_VERSION}  # fmt: skip
    if method == "messages.send":
        # random_id: VK drops a second message with the same id to the same peer.
        params["random_id"] = zlib.crc32(key.encode()) & 0x7FFFFFFF
    else:
        params["guid"] = key  # "unique identifier to avoid repeated comments"
    try:
        response = requests.post(
            settings.VK_API_URL.rstrip("/") + "/" + method, data=params, timeout=_timeout()
        )
    except requests.RequestException as error:
        return _network_failure(error)
    if response.status_code >= 500:
        return Result("transient", http_status=response.status_code, error_code="http")
    try:
        body = response.json()
    except ValueError:
        return Result("transient", http_status=response.status_code, error_code="not_json")
    if "error" in body:
        refusal = body["error"] or {}
        code = refusal.get("error_code")
        kind = "transient" if code in VK_TRANSIENT else "permanent"
        return Result(kind, http_status=response.status_code, error_code=f"vk_{code}",
                      detail=f"VK {code}: {refusal.get('error_msg', '')}")  # fmt: skip
    answer = body.get("response")
    remote = answer.get("comment_id", "") if isinstance(answer, dict) else answer
    return Result("delivered", remote_id=str(remote or ""), http_status=response.status_code)


def _send_telegram(target: dict[str, Any], reply: Reply, signal: Signal) -> Result:
    token = _reply_token(signal)
    if not token:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no Telegram bot token for answers."))  # fmt: skip
    if len(reply.text) > TELEGRAM_LIMIT:
        return Result("permanent", error_code="too_long",
                      detail=_("Telegram takes at most 4096 characters in a message."))  # fmt: skip
    url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{token}/sendMessage"
    payload = {
        "chat_id": target["chat_id"], "text": reply.text,
        "reply_parameters": {"message_id": target["reply_to"], "allow_sending_without_reply": True},
    }  # fmt: skip
    try:
        response = requests.post(url, json=payload, timeout=_timeout())
    except requests.RequestException as error:
        return _network_failure(error)
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
            headers=headers, timeout=_timeout(),
        )  # fmt: skip
    except requests.RequestException as error:
        return _network_failure(error)
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


def _send_email(target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    import smtplib

    subject = _("Answer to your appeal %(number)s") % {"number": signal.number}
    message = EmailMessage(
        subject, reply.text, to=[target["to"]],
        headers={"Message-ID": make_msgid(idstring=key[:32], domain=settings.EMAIL_MESSAGE_DOMAIN)},
    )  # fmt: skip
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        return Result("permanent", error_code="smtp_refused", detail=type(error).__name__)
    except smtplib.SMTPResponseException as error:
        kind = "permanent" if 500 <= error.smtp_code < 600 else "transient"
        return Result(kind, error_code=f"smtp_{error.smtp_code}", detail=type(error).__name__)
    except (smtplib.SMTPException, OSError) as error:
        return Result("transient", error_code="smtp", detail=type(error).__name__)
    return Result("delivered")
