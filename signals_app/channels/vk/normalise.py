"""VK Callback API payloads (field names from VK's public API schema) → what they ask for."""

from __future__ import annotations

from typing import Any

from signals_app.channels.payload import (
    Outcome,
    PayloadError,
    SignalData,
    plain,
    section,
    unix_moment,
    whole,
)

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
    number = whole(obj.get("id"), "id")
    if base == "wall_reply":
        owner, post = whole(obj.get("owner_id"), "owner_id"), whole(obj.get("post_id"), "post_id")
        return (
            f"wall_reply:{owner}_{post}_{number}",
            f"https://vk.com/wall{owner}_{post}?reply={number}",
        )
    if base == "wall_post":
        owner = whole(obj.get("owner_id"), "owner_id")
        return f"wall_post:{owner}_{number}", f"https://vk.com/wall{owner}_{number}"
    if base == "board_post":
        owner = whole(obj.get("topic_owner_id"), "topic_owner_id")
        topic = whole(obj.get("topic_id"), "topic_id")
        return (
            f"board_post:{owner}_{topic}_{number}",
            f"https://vk.com/topic{owner}_{topic}?post={number}",
        )
    if base == "photo_comment":
        owner = whole(obj.get("photo_owner_id", obj.get("owner_id")), "photo_owner_id")
        photo = whole(obj.get("photo_id"), "photo_id")
        return (
            f"photo_comment:{owner}_{photo}_{number}",
            f"https://vk.com/photo{owner}_{photo}",
        )
    if base == "video_comment":
        owner = whole(obj.get("video_owner_id", obj.get("owner_id")), "video_owner_id")
        video = whole(obj.get("video_id"), "video_id")
        return (
            f"video_comment:{owner}_{video}_{number}",
            f"https://vk.com/video{owner}_{video}",
        )
    peer = whole(obj.get("peer_id"), "peer_id")
    conversation = whole(obj.get("conversation_message_id"), "conversation_message_id")
    return f"message:{peer}_{conversation or number}", ""


# Photo sizes from the smallest to the largest, for photos whose sizes carry no dimensions.
PHOTO_SIZES = "smxopqryzw"


def _photo(photo: dict[str, Any]) -> dict[str, Any] | None:
    sizes = [size for size in photo.get("sizes") or [] if isinstance(size, dict)]
    sizes = [size for size in sizes if isinstance(size.get("url"), str) and size["url"]]
    if not sizes:
        return None

    def area(size: dict[str, Any]) -> tuple[int, int]:
        width, height = size.get("width"), size.get("height")
        pixels = width * height if isinstance(width, int) and isinstance(height, int) else 0
        kind = size.get("type")
        return pixels, PHOTO_SIZES.find(kind) if isinstance(kind, str) and kind else -1

    largest = max(sizes, key=area)
    owner, number = photo.get("owner_id"), photo.get("id")
    named = isinstance(owner, int) and isinstance(number, int) and abs(owner) + abs(number) < 2**64
    name = f"photo{owner}_{number}.jpg" if named else "photo.jpg"
    return {"url": largest["url"], "name": name, "content_type": "image/jpeg"}


def attachments_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    """What the citizen attached, kept as links to the source: the largest size of a photo,
    a link, a document (with its size), a video's page."""
    found: list[dict[str, Any]] = []
    for attachment in item.get("attachments") or []:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("type"), str):
            continue
        kind = attachment["type"]
        body = attachment.get(kind)
        if not isinstance(body, dict):
            continue
        entry: dict[str, Any] | None = None
        if kind == "photo":
            entry = _photo(body)
        elif kind == "link" and isinstance(body.get("url"), str):
            entry = {"url": body["url"], "name": plain(body.get("title"), "title", limit=300)}
        elif kind == "doc" and isinstance(body.get("url"), str):
            size = body.get("size")
            entry = {
                "url": body["url"],
                "name": plain(body.get("title"), "title", limit=300),
                "size": size if isinstance(size, int) and 0 <= size < 2**62 else None,
            }
        elif kind == "video":
            owner, number = whole(body.get("owner_id"), "owner_id"), whole(body.get("id"), "id")
            if owner is not None and number is not None:
                entry = {
                    "url": f"https://vk.com/video{owner}_{number}",
                    "name": plain(body.get("title"), "title", limit=300) or "video",
                }
        if entry and entry["url"].startswith(("https://", "http://")) and len(entry["url"]) <= 1000:
            found.append(entry)
    return found


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    kind = payload.get("type", "")
    if not isinstance(kind, str):
        raise PayloadError("type is not a string")
    obj = section(payload.get("object"), "object")
    group = whole(payload.get("group_id"), "group_id")
    page_id = str(group) if group is not None else ""
    if kind in VK_DELETE:
        key, _url = _vk_key_and_url(kind.replace("_delete", "_new"), obj)
        return Outcome("delete", key=key, page_id=page_id)
    if kind not in VK_NEW | VK_EDIT:
        return Outcome("ignore", reason=f"VK event {kind or '?'} is not a citizen's message")
    item = section(obj.get("message", obj), "message") if kind.startswith("message_") else obj
    key, url = _vk_key_and_url(kind, item)
    author_id = whole(item.get("from_id"), "from_id") or whole(item.get("user_id"), "user_id")
    data = SignalData(
        text=plain(item.get("text"), "text"),
        posted_at=unix_moment(item.get("date"), "date"),
        author_name=f"id{author_id}" if author_id else "",
        author_profile_url=f"https://vk.com/id{author_id}" if author_id and author_id > 0 else "",
        external_url=url,
        thread_id=key.rsplit("_", 1)[0],
        attachments=attachments_of(item),
        # Under a comment (ours among them) or quoting a message of the dialogue.
        in_reply=item.get("reply_to_comment") is not None
        or isinstance(item.get("reply_message"), dict),
    )
    # A community writes with a negative id: its own answers come back to us this way.
    author_page = str(-author_id) if author_id and author_id < 0 else ""
    if not data.text:
        return Outcome("ignore", key=key, reason="no text (a sticker or a photo alone)")
    return Outcome(
        "edit" if kind in VK_EDIT else "create",
        key=key,
        data=data,
        page_id=page_id,
        author_page=author_page,
    )
