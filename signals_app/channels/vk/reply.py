"""Answers to VK: a comment under the post or comment the citizen wrote (wall, board, photo,
video), or a message in the community's dialogue. VK drops a repeated comment with the same
`guid` and a repeated message with the same `random_id`, so an interrupted call may be sent
again. Errors 6 (too many requests per second), 9 (flood control), 1 and 10 (its own failures)
and 223 are temporary, the rest permanent."""

from __future__ import annotations

import re
import zlib
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from signals_app.channels.spec import Plan, Result, network_failure, reply_token, timeout
from signals_app.models import Reply, Signal

VK_TRANSIENT = {1, 6, 9, 10, 223}
IDEMPOTENT = {
    "vk.wall.createComment", "vk.board.createComment", "vk.photos.createComment",
    "vk.video.createComment", "vk.messages.send",
}  # fmt: skip
_VK_KEY = re.compile(r"^(?P<kind>[a-z_]+):(?P<parts>-?\d+(?:_-?\d+)*)$")


def plan(signal: Signal) -> Plan | None:
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


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    return _send_vk(method.removeprefix("vk."), target, key, reply, signal)


def _send_vk(method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    token = reply_token(signal)
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
            settings.VK_API_URL.rstrip("/") + "/" + method, data=params, timeout=timeout()
        )
    except requests.RequestException as error:
        return network_failure(error)
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
