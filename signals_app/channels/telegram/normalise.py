"""Telegram Bot API updates → what they ask for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from signals_app.channels.payload import Outcome, SignalData, clean_text

TELEGRAM_FIELDS = (
    ("message", "create"),
    ("channel_post", "create"),
    ("edited_message", "edit"),
    ("edited_channel_post", "edit"),
)


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    found = next(
        (
            (payload[name], action)
            for name, action in TELEGRAM_FIELDS
            if isinstance(payload.get(name), dict)
        ),
        None,
    )
    if found is None:
        return Outcome("ignore", reason="not a message update")
    message, action = found
    chat = message.get("chat") or {}
    key = f"{chat.get('id')}_{message.get('message_id')}"
    sender = message.get("from") or {}
    name = " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)
    username = sender.get("username") or chat.get("username")
    date = message.get("date")
    text = clean_text(message.get("text") or message.get("caption"))
    if not text:
        return Outcome("ignore", key=key, reason="no text or caption")
    data = SignalData(
        text=text,
        posted_at=datetime.fromtimestamp(date, tz=UTC) if isinstance(date, int) else None,
        author_name=clean_text(name or chat.get("title"), limit=300),
        author_profile_url=f"https://t.me/{username}" if username else "",
        external_url=f"https://t.me/{chat['username']}/{message.get('message_id')}"
        if chat.get("username")
        else "",
        thread_id=str(chat.get("id", "")),
    )
    return Outcome(action, key=key, data=data, page_id=str(chat.get("id", "")))
