"""MAX Bot API updates (`update_type`, field names from the platform's OpenAPI schema) → what
they ask for. Times are Unix milliseconds; ids are 64-bit integers, a message's id (`mid`) a
string."""

from __future__ import annotations

import re
from typing import Any

from signals_app.channels.payload import (
    Outcome,
    PayloadError,
    SignalData,
    plain,
    section,
    survey_pressed,
    unix_millis,
    whole,
)

MID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PROFILE = "max://user/{}"  # MAX has no public profile address by id: a stable name of the user


def mid(value: Any, name: str) -> str:
    text = plain(value, name, limit=200)
    if not text:
        raise PayloadError(f"{name} is missing")
    if not MID.match(text):
        raise PayloadError(f"{name} is not a message id")
    return text


def update_key(payload: dict[str, Any]) -> str:
    """The update's own key in the inbox (MAX sends no update id): what it is about and when.
    Raises PayloadError for an update without the fields its kind requires."""
    kind = plain(payload.get("update_type"), "update_type", limit=64)
    stamp = whole(payload.get("timestamp"), "timestamp")
    if not kind or stamp is None:
        raise PayloadError("update_type and timestamp are required")
    if kind in ("message_created", "message_edited"):
        message = section(payload.get("message"), "message")
        body = section(message.get("body"), "message.body")
        key = mid(body.get("mid"), "message.body.mid")
        return f"max:{key}" if kind == "message_created" else f"max:{key}:edit:{stamp}"
    if kind == "message_removed":
        return f"max:{mid(payload.get('message_id'), 'message_id')}:removed"
    if kind == "message_callback":
        callback = section(payload.get("callback"), "callback")
        callback_id = plain(callback.get("callback_id"), "callback.callback_id", limit=300)
        if not callback_id:
            raise PayloadError("callback.callback_id is missing")
        return f"max:cb:{callback_id[:180]}"
    return f"max:{kind}:{stamp}"


def _attachments(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Photos and files the citizen sent, kept as links to the platform."""
    found: list[dict[str, Any]] = []
    for item in body.get("attachments") or []:
        if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
            continue
        url = item["payload"].get("url")
        if not isinstance(url, str) or not url.startswith("https://") or len(url) > 1000:
            continue
        if item.get("type") == "image":
            found.append({"url": url, "name": "photo.jpg", "content_type": "image/jpeg"})
        elif item.get("type") == "file":
            size = item.get("size")
            found.append({
                "url": url, "name": plain(item.get("filename"), "filename", limit=300) or "file",
                "size": size if isinstance(size, int) and 0 <= size < 2**62 else None,
            })  # fmt: skip
    return found


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    kind = plain(payload.get("update_type"), "update_type", limit=64)
    if kind == "message_callback":
        return _callback(payload)
    if kind == "message_removed":
        return Outcome("delete", key=mid(payload.get("message_id"), "message_id"))
    if kind not in ("message_created", "message_edited"):
        return Outcome("ignore", reason=f"MAX update {kind or '?'} is not a citizen's message")
    message = section(payload.get("message"), "message")
    body = section(message.get("body"), "message.body")
    key = mid(body.get("mid"), "message.body.mid")
    recipient = section(message.get("recipient"), "message.recipient")
    chat_id = whole(recipient.get("chat_id"), "message.recipient.chat_id")
    if chat_id is None:
        raise PayloadError("message.recipient.chat_id is missing")
    chat_type = plain(recipient.get("chat_type"), "message.recipient.chat_type", limit=32)
    sender = section(message.get("sender"), "message.sender")
    if sender.get("is_bot") is True:
        return Outcome("ignore", key=key, reason="written by a bot")
    user_id = whole(sender.get("user_id"), "message.sender.user_id")
    name = plain(sender.get("name"), "message.sender.name", limit=300) or " ".join(
        part for part in (
            plain(sender.get("first_name"), "message.sender.first_name", limit=150),
            plain(sender.get("last_name"), "message.sender.last_name", limit=150),
        ) if part
    )  # fmt: skip
    text = plain(body.get("text"), "message.body.text")
    if not text:
        return Outcome("ignore", key=key, reason="no text (a photo or a sticker alone)")
    link = section(message.get("link"), "message.link")
    data = SignalData(
        text=text,
        posted_at=unix_millis(message.get("timestamp"), "message.timestamp"),
        author_name=name,
        author_profile_url=PROFILE.format(user_id) if user_id is not None else "",
        external_url=plain(message.get("url"), "message.url", limit=1000)
        if str(message.get("url") or "").startswith("https://") else "",
        thread_id=str(chat_id),
        attachments=_attachments(body),
        in_reply=link.get("type") == "reply",
    )  # fmt: skip
    # A channel's post is written by the channel itself: a page of the registry is not a citizen.
    author_page = str(chat_id) if chat_type == "channel" else ""
    action = "create" if kind == "message_created" else "edit"
    return Outcome(action, key=key, data=data, page_id=str(chat_id), author_page=author_page)


def _callback(payload: dict[str, Any]) -> Outcome:
    """A press of one of our buttons: the survey's «да» / «нет» (anything else is ignored)."""
    callback = section(payload.get("callback"), "callback")
    data = plain(callback.get("payload"), "callback.payload", limit=64)
    message = section(payload.get("message"), "message")
    recipient = section(message.get("recipient"), "message.recipient")
    chat_id = whole(recipient.get("chat_id"), "message.recipient.chat_id")
    return survey_pressed(data, thread_id=str(chat_id) if chat_id is not None else "")
