"""OK Bot API for groups: Graph API webhook messages → what they ask for. Ids are strings with
their kind (`user:…`, `chat:…`, `mid:…`), times Unix milliseconds."""

from __future__ import annotations

import re
from typing import Any

from signals_app.channels.payload import (
    Outcome,
    PayloadError,
    SignalData,
    plain,
    section,
    unix_millis,
)

CHAT = re.compile(r"^chat:[A-Za-z0-9]{1,64}$")
USER = re.compile(r"^(?:user:)?(?P<id>\d{1,20})$")
MID = re.compile(r"^mid:[A-Za-z0-9.]{1,128}$")


def message_key(payload: dict[str, Any]) -> str:
    """The inbox key of a webhook message: its `mid` (PayloadError when it has none)."""
    message = section(payload.get("message"), "message")
    mid = plain(message.get("mid"), "message.mid", limit=200)
    if not MID.match(mid):
        raise PayloadError("message.mid is missing or not a message id")
    return f"ok:{mid}"


def _attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for item in message.get("attachments") or []:
        if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
            continue
        url = item["payload"].get("url")
        if not isinstance(url, str) or not url.startswith("https://") or len(url) > 1000:
            continue
        kind = str(item.get("type", "")).upper()
        if kind == "IMAGE":
            found.append({"url": url, "name": "photo.jpg", "content_type": "image/jpeg"})
        elif kind in ("SHARE", "FILE", "VIDEO"):
            found.append({"url": url, "name": url.rsplit("/", 1)[-1][:300] or kind.lower()})
    return found


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    if "message" not in payload:
        return Outcome("ignore", reason="an OK chat event that is not a message")
    message = section(payload.get("message"), "message")
    key = plain(message.get("mid"), "message.mid", limit=200)
    if not MID.match(key):
        raise PayloadError("message.mid is not a message id")
    recipient = section(payload.get("recipient"), "recipient")
    chat = plain(recipient.get("chat_id"), "recipient.chat_id", limit=100)
    if not CHAT.match(chat):
        raise PayloadError("recipient.chat_id is not a chat id")
    sender = section(payload.get("sender"), "sender")
    user = USER.match(plain(sender.get("user_id"), "sender.user_id", limit=40))
    text = plain(message.get("text"), "message.text")
    if user is None:  # a group or the system, not a person
        return Outcome("ignore", key=key, reason="not written by a person")
    if not text:
        return Outcome("ignore", key=key, reason="no text (an attachment alone)")
    data = SignalData(
        text=text,
        posted_at=unix_millis(payload.get("timestamp"), "timestamp"),
        author_name=plain(sender.get("name"), "sender.name", limit=300),
        author_profile_url=f"https://ok.ru/profile/{user['id']}",
        thread_id=chat,
        attachments=_attachments(message),
    )
    return Outcome("create", key=key, data=data)
