"""OK → what it asks for: the Bot API's webhook messages (ids are strings with their kind,
`user:…`, `chat:…`, `mid:…`, times Unix milliseconds), and the comments under the group's posts
the poller read from the REST API (`poll.py`: a new comment, an edit, a deletion)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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
TOPIC = r"\d{1,30}"
COMMENT = r"[A-Za-z0-9_\-=+/.]{1,128}"
TOPIC_ID, COMMENT_ID = re.compile(f"^{TOPIC}$"), re.compile(f"^{COMMENT}$")
COMMENT_KEY = re.compile(f"^ok:comment:(?P<topic>{TOPIC})_(?P<comment>{COMMENT})$")
AUTHOR = re.compile(r"^\d{1,20}$")
MOSCOW = ZoneInfo("Europe/Moscow")


def comment_key(topic: str, comment: str) -> str:
    """The signal's key of a comment under a post (its edits and deletion add to it)."""
    return f"ok:comment:{topic}_{comment}"


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


def _comment_moment(comment: dict[str, Any]) -> datetime | None:
    """`date_ms`, else `date` ("yyyy-MM-dd HH:mm:ss", Moscow time)."""
    if comment.get("date_ms") is not None:
        return unix_millis(comment.get("date_ms"), "comment.date_ms")
    written = plain(comment.get("date"), "comment.date", limit=40)
    if not written:
        return None
    try:
        return datetime.strptime(written, "%Y-%m-%d %H:%M:%S").replace(tzinfo=MOSCOW)
    except ValueError as error:
        raise PayloadError("comment.date is not a date") from error


def _comment(payload: dict[str, Any]) -> Outcome:
    """A comment under one of the group's posts, as the poller stored it."""
    topic = plain(payload.get("topic_id"), "topic_id", limit=40)
    comment = section(payload.get("comment"), "comment")
    key = comment_key(topic, plain(comment.get("id"), "comment.id", limit=200))
    if not COMMENT_KEY.match(key):
        raise PayloadError("topic_id or comment.id is not an OK id")
    if payload["event"] == "delete":
        return Outcome("delete", key=key)
    author = plain(str(comment.get("author_id") or ""), "comment.author_id", limit=40)
    reference = plain(comment.get("author_ref"), "comment.author_ref", limit=60)
    group = plain(payload.get("group_id"), "group_id", limit=40)
    if reference.startswith("group:") or (author and author == group):
        return Outcome("ignore", key=key, reason="written by a group, not a person")
    if not AUTHOR.match(author):
        raise PayloadError("comment.author_id is not a user id")
    text = plain(comment.get("text"), "comment.text")
    if not text:
        return Outcome("ignore", key=key, reason="no text (an attachment alone)")
    data = SignalData(
        text=text,
        posted_at=_comment_moment(comment),
        author_name=plain(comment.get("author_name"), "comment.author_name", limit=300),
        author_profile_url=f"https://ok.ru/profile/{author}",
        external_url=f"https://ok.ru/group/{group}/topic/{topic}" if AUTHOR.match(group) else "",
        thread_id=f"topic:{topic}",
        in_reply=bool(comment.get("reply_to_comment_id")),
    )
    return Outcome("edit" if payload["event"] == "edit" else "create", key=key, data=data,
                   page_id=group)  # fmt: skip


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    if payload.get("event") in ("comment", "edit", "delete"):
        return _comment(payload)
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
