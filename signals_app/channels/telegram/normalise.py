"""Telegram Bot API updates → what they ask for."""

from __future__ import annotations

import re
from typing import Any

from signals_app.channels.payload import (
    NewsRequest,
    Outcome,
    PayloadError,
    SignalData,
    plain,
    section,
    survey_pressed,
    unix_moment,
    whole,
)

TELEGRAM_FIELDS = (
    ("message", "create"),
    ("channel_post", "create"),
    ("edited_message", "edit"),
    ("edited_channel_post", "edit"),
)


# A bot command alone in a private chat (`/start`, `/help@our_bot`, `/start <payload>`): talk to
# the bot, not a complaint. `/start n<key hex>` comes from a status page's «news in Telegram».
COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@\w{1,64})?(?:\s+(?P<arg>\S{1,64}))?$")
NEWS_START = re.compile(r"^n(?P<key>[0-9a-f]{32})$")


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    if isinstance(payload.get("callback_query"), dict):
        return _callback(payload["callback_query"])
    found = next(
        (
            (name, payload[name], action)
            for name, action in TELEGRAM_FIELDS
            if isinstance(payload.get(name), dict)
        ),
        None,
    )
    if found is None:
        return Outcome("ignore", reason="not a message update")
    field_name, message, action = found
    chat = section(message.get("chat"), "chat")
    chat_id = whole(chat.get("id"), "chat.id")
    if chat_id is None:
        raise PayloadError("chat.id is missing")
    message_id = whole(message.get("message_id"), "message_id")
    key = f"{chat_id}_{message_id}"
    sender = section(message.get("from"), "from")
    name = " ".join(
        part
        for part in (
            plain(sender.get("first_name"), "from.first_name", limit=150),
            plain(sender.get("last_name"), "from.last_name", limit=150),
        )
        if part
    )
    username = plain(sender.get("username"), "from.username", limit=64) or plain(
        chat.get("username"), "chat.username", limit=64
    )
    chat_username = plain(chat.get("username"), "chat.username", limit=64)
    posted_at = unix_moment(message.get("date"), "date")
    text = plain(message.get("text"), "text") or plain(message.get("caption"), "caption")
    if not text:
        return Outcome("ignore", key=key, reason="no text or caption")
    command = COMMAND.match(text) if chat.get("type") == "private" else None
    if command is not None:
        news = NEWS_START.match(command["arg"] or "") if command["name"] == "start" else None
        if news is not None and action == "create":
            return Outcome("news", key=key, news=NewsRequest(key=news["key"], chat=str(chat_id)))
        return Outcome("ignore", key=key, reason="a bot command")
    data = SignalData(
        text=text,
        posted_at=posted_at,
        author_name=name or plain(chat.get("title"), "chat.title", limit=300),
        author_profile_url=f"https://t.me/{username}" if username else "",
        external_url=f"https://t.me/{chat_username}/{message_id}" if chat_username else "",
        thread_id=str(chat_id),
        in_reply=isinstance(message.get("reply_to_message"), dict),
    )
    # A channel post is written by the channel itself: a page of the registry is not a citizen.
    author_page = str(chat_id) if field_name.endswith("channel_post") else ""
    return Outcome(action, key=key, data=data, page_id=str(chat_id), author_page=author_page)


def _callback(query: dict[str, Any]) -> Outcome:
    """A press of one of our buttons: the survey's «да» / «нет» (anything else is ignored)."""
    data = plain(query.get("data"), "callback_query.data", limit=64)
    message = section(query.get("message"), "callback_query.message")
    chat = section(message.get("chat"), "callback_query.message.chat")
    chat_id = whole(chat.get("id"), "callback_query.message.chat.id")
    return survey_pressed(data, thread_id=str(chat_id) if chat_id is not None else "")
