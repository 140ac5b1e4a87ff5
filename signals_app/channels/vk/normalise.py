"""VK Callback API payloads (field names from VK's public API schema) → what they ask for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from signals_app.channels.payload import Outcome, PayloadError, SignalData, clean_text

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


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
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
