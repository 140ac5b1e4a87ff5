"""Turn one stored payload into the fields of a signal. Pure: no database writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

MAX_TEXT = 20_000


class PayloadError(ValueError):
    """The payload cannot become a signal; the message stays in the inbox as failed."""


@dataclass
class SignalData:
    text: str
    posted_at: datetime | None = None
    author_name: str = ""
    author_profile_url: str = ""
    author_contact: str = ""
    external_url: str = ""
    thread_id: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    municipality_hint: str = ""
    category_hint: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    agency_id: int | None = None


def clean_text(value: Any, *, limit: int = MAX_TEXT) -> str:
    """A string without NUL bytes (PostgreSQL cannot store them), trimmed to the limit."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return value.replace("\x00", "").strip()[:limit]


def _coordinate(value: Any, low: int, high: int, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as error:
        raise PayloadError(f"{name} is not a number") from error
    if not low <= number <= high:
        raise PayloadError(f"{name} is out of range")
    return number


def normalize_api_item(payload: dict[str, Any]) -> SignalData:
    """The batch JSON API item (already validated at the door; checked again here)."""
    text = clean_text(payload.get("text"))
    if not text:
        raise PayloadError("text is empty")
    posted_raw = payload.get("posted_at")
    posted_at = parse_datetime(posted_raw) if isinstance(posted_raw, str) else None
    author = payload.get("author") or {}
    if not isinstance(author, dict):
        raise PayloadError("author is not an object")
    latitude = _coordinate(payload.get("lat"), -90, 90, "lat")
    longitude = _coordinate(payload.get("lon"), -180, 180, "lon")
    if (latitude is None) != (longitude is None):
        raise PayloadError("lat and lon go together")
    contact = ", ".join(
        part
        for part in (
            clean_text(author.get("phone"), limit=100),
            clean_text(author.get("email"), limit=200),
        )
        if part
    )
    attachments = [
        {
            "url": clean_text(item.get("url"), limit=1000),
            "name": clean_text(item.get("name"), limit=300),
        }
        for item in payload.get("attachments") or []
        if isinstance(item, dict) and item.get("url")
    ]
    return SignalData(
        text=text,
        posted_at=posted_at,
        author_name=clean_text(author.get("name"), limit=300),
        author_profile_url=clean_text(author.get("profile_url"), limit=500),
        author_contact=contact[:300],
        external_url=clean_text(payload.get("url"), limit=1000),
        thread_id=clean_text(payload.get("thread_id"), limit=200),
        address=clean_text(payload.get("address"), limit=500),
        latitude=latitude,
        longitude=longitude,
        municipality_hint=clean_text(payload.get("municipality"), limit=200),
        category_hint=clean_text(payload.get("category"), limit=64),
        attachments=attachments,
        files=[
            item
            for item in payload.get("files") or []
            if isinstance(item, dict) and item.get("path")
        ],
        agency_id=payload.get("agency_id") if isinstance(payload.get("agency_id"), int) else None,
    )


@dataclass
class Outcome:
    """What a payload asks for: create a signal, edit or delete one, or nothing."""

    action: str  # "create" | "edit" | "delete" | "ignore"
    key: str = ""  # the signal's external id at the source
    data: SignalData | None = None
    page_id: str = ""  # the official page (group / channel) it was posted on
    reason: str = ""


def api_outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    return Outcome("create", key=external_id, data=normalize_api_item(payload))


# --- VK Callback API (field names from VK's public API schema) --------------------------------

VK_NEW = {
    "wall_reply_new",
    "wall_post_new",
    "board_post_new",
    "photo_comment_new",
    "video_comment_new",
    "message_new",
}
VK_EDIT = {
    "wall_reply_edit",
    "board_post_edit",
    "photo_comment_edit",
    "video_comment_edit",
    "message_edit",
}
VK_DELETE = {
    "wall_reply_delete",
    "board_post_delete",
    "photo_comment_delete",
    "video_comment_delete",
}


def _vk_key_and_url(kind: str, obj: dict[str, Any]) -> tuple[str, str]:
    base = kind.rsplit("_", 1)[0]
    if base == "wall_reply":
        owner, post = obj.get("owner_id"), obj.get("post_id")
        return (
            f"wall_reply:{owner}_{post}_{obj.get('id')}",
            f"https://vk.com/wall{owner}_{post}?reply={obj.get('id')}",
        )
    if base == "wall_post":
        owner = obj.get("owner_id")
        return f"wall_post:{owner}_{obj.get('id')}", f"https://vk.com/wall{owner}_{obj.get('id')}"
    if base == "board_post":
        owner, topic = obj.get("topic_owner_id"), obj.get("topic_id")
        return (
            f"board_post:{owner}_{topic}_{obj.get('id')}",
            f"https://vk.com/topic{owner}_{topic}?post={obj.get('id')}",
        )
    if base == "photo_comment":
        owner = obj.get("photo_owner_id", obj.get("owner_id"))
        return (
            f"photo_comment:{owner}_{obj.get('photo_id')}_{obj.get('id')}",
            f"https://vk.com/photo{owner}_{obj.get('photo_id')}",
        )
    if base == "video_comment":
        owner = obj.get("video_owner_id", obj.get("owner_id"))
        return (
            f"video_comment:{owner}_{obj.get('video_id')}_{obj.get('id')}",
            f"https://vk.com/video{owner}_{obj.get('video_id')}",
        )
    message = obj.get("message", obj)
    return (
        f"message:{message.get('peer_id')}_{message.get('conversation_message_id') or message.get('id')}",
        "",
    )


def vk_outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    kind = payload.get("type", "")
    obj = payload.get("object") or {}
    if not isinstance(obj, dict):
        raise PayloadError("object is not an object")
    page_id = str(payload.get("group_id", ""))
    if kind in VK_DELETE:
        key, _url = _vk_key_and_url(kind.replace("_delete", "_new"), obj)
        return Outcome("delete", key=key, page_id=page_id)
    if kind not in VK_NEW | VK_EDIT:
        return Outcome("ignore", reason=f"VK event {kind or '?'} is not a citizen's message")
    key, url = _vk_key_and_url(kind, obj)
    item = obj.get("message", obj) if kind.startswith("message_") else obj
    author_id = item.get("from_id") or item.get("user_id")
    date = item.get("date")
    data = SignalData(
        text=clean_text(item.get("text")),
        posted_at=datetime.fromtimestamp(date, tz=UTC) if isinstance(date, int) else None,
        author_name=f"id{author_id}" if author_id else "",
        author_profile_url=(f"https://vk.com/id{author_id}" if author_id and author_id > 0 else "")
        if isinstance(author_id, int)
        else "",
        external_url=url,
        thread_id=key.rsplit("_", 1)[0],
    )
    if not data.text:
        return Outcome("ignore", key=key, reason="no text (a sticker or a photo alone)")
    return Outcome("edit" if kind in VK_EDIT else "create", key=key, data=data, page_id=page_id)


# --- Telegram Bot API ---------------------------------------------------------------------------


TELEGRAM_FIELDS = (
    ("message", "create"),
    ("channel_post", "create"),
    ("edited_message", "edit"),
    ("edited_channel_post", "edit"),
)


def telegram_outcome(payload: dict[str, Any], external_id: str) -> Outcome:
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


OUTCOMES = {"vk": vk_outcome, "telegram": telegram_outcome}
