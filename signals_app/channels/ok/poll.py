"""Comments under an OK group's posts (beat, every minute; `poll()` of the registry), read with
OK's REST API — its Bot API's webhooks carry the group's chats only.

Each group is read every `OK_COMMENTS_EVERY` seconds: its posts of the last `days` days
(`group.getStatTopics`, which gives each post's comment count), and the comments of each post
whose count changed or that was last read `OK_COMMENTS_REREAD` seconds ago or more
(`discussions.getComments`, oldest first). What the poller saw under a post is kept in
`OkTopic`: a digest of each comment's text. A comment it has not seen goes to the inbox
under `ok:comment:<post>_<comment>`; one whose text changed, as an edit (keyed by the new
text's digest); one that is gone from a post read to the end, as a deletion. The inbox
de-duplicates on these keys, so a worker killed after storing and before remembering stores
nothing twice on the next run. Comments written before the group was connected are
remembered, never turned into signals.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from signals_app.channels.ok.normalise import COMMENT_ID, TOPIC_ID, comment_key
from signals_app.channels.ok.rest import call
from signals_app.ingest.polling import poll_each
from signals_app.ingest.services import inbound_store
from signals_app.models import OkGroup, OkTopic

logger = logging.getLogger(__name__)

PAGE = 100
TOPIC_PAGES = 20  # posts: at most 2,000 a reading
COMMENT_PAGES = 10  # comments under one post: at most 1,000 a reading
COMMENT_FIELDS = ",".join(
    f"comment.{name}"
    for name in ("ID", "AUTHOR_ID", "AUTHOR_NAME", "AUTHOR_REF", "TEXT", "DATE", "TYPE",
                 "REPLY_TO_ID", "REPLY_TO_NAME", "REPLY_TO_COMMENT_ID")
)  # fmt: skip
OLD = "old:"  # a comment remembered, not turned into a signal (before the connection)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _millis(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


def _topics(group: OkGroup, now: Any) -> list[tuple[str, int]]:
    """The group's posts of the last days with their comment counts, newest first."""
    found: list[tuple[str, int]] = []
    anchor = None
    for _page in range(TOPIC_PAGES):
        answer = call(
            group, "group.getStatTopics", gid=group.group_id, fields="ID,CREATED_MS,COMMENTS",
            start_time=_millis(now - timedelta(days=group.days)), end_time=_millis(now),
            count=PAGE, anchor=anchor,
        )  # fmt: skip
        answer = answer if isinstance(answer, dict) else {}
        for topic in answer.get("topics") or []:
            if not isinstance(topic, dict):
                continue
            number, count = str(topic.get("id", "")), topic.get("comments")
            if TOPIC_ID.match(number):
                found.append((number, count if isinstance(count, int) and count >= 0 else -1))
        anchor = answer.get("anchor")
        if not answer.get("has_more") or not isinstance(anchor, str) or not anchor:
            break
    return found


def _comments(group: OkGroup, topic: str) -> tuple[list[dict[str, Any]], bool]:
    """The post's comments, oldest first, and whether they were read to the end."""
    found: list[dict[str, Any]] = []
    anchor: Any = "FIRST"
    for _page in range(COMMENT_PAGES):
        answer = call(
            group, "discussions.getComments", discussionId=topic, discussionType="GROUP_TOPIC",
            anchor=anchor, direction="FORWARD", count=PAGE, fields=COMMENT_FIELDS,
        )  # fmt: skip
        answer = answer if isinstance(answer, dict) else {}
        found += [
            item for item in answer.get("comments") or []
            if isinstance(item, dict) and COMMENT_ID.match(str(item.get("id", "")))
        ]  # fmt: skip
        anchor = answer.get("anchor")
        if not answer.get("has_more"):
            return found, True
        if not isinstance(anchor, str) or not anchor:
            break
    return found, False


def _before_connection(group: OkGroup, comment: dict[str, Any]) -> bool:
    moment = comment.get("date_ms")
    return isinstance(moment, int) and moment < _millis(group.connected_at)


def _read_topic(group: OkGroup, state: OkTopic, count: int, now: Any) -> int:
    """Store what is new, edited or deleted under one post; remember what was seen."""
    comments, complete = _comments(group, state.topic_id)
    known: dict[str, str] = dict(state.known)
    stored = 0
    seen = set()
    base = {"group_id": group.group_id, "topic_id": state.topic_id}
    for comment in comments:
        number = str(comment["id"])
        seen.add(number)
        text = comment.get("text")
        digest = _digest(text if isinstance(text, str) else "")
        key = comment_key(state.topic_id, number)
        before = known.get(number)
        if before is None and _before_connection(group, comment):
            known[number] = OLD + digest
            continue
        if before is not None and before.startswith(OLD):
            known[number] = OLD + digest
            continue
        if before is None:
            payload = {"event": "comment", **base, "comment": comment}
        elif before != digest:
            payload = {"event": "edit", **base, "comment": comment}
            key = f"{key}:edit:{digest}"
        else:
            continue
        stored += inbound_store(source=group.source, external_id=key, payload=payload).created
        known[number] = digest
    if complete:
        for number in [number for number in known if number not in seen]:
            if not known.pop(number).startswith(OLD):
                key = f"{comment_key(state.topic_id, number)}:delete"
                payload = {"event": "delete", **base, "comment": {"id": number}}
                stored += inbound_store(source=group.source, external_id=key,
                                        payload=payload).created  # fmt: skip
    state.known = known
    state.comments = count if count >= 0 else len(comments)
    state.read_at = now
    state.save(update_fields=["known", "comments", "read_at"])
    return stored


def group_poll(group: OkGroup) -> int:
    """Read one group's comments into the inbox; how many messages were stored."""
    now = timezone.now()
    reread = now - timedelta(seconds=settings.OK_COMMENTS_REREAD)
    topics = _topics(group, now)
    states = {state.topic_id: state for state in
              OkTopic.objects.filter(group=group, topic_id__in=[number for number, _ in topics])}  # fmt: skip
    stored = 0
    for number, count in topics:
        state = states.get(number) or OkTopic(group=group, topic_id=number, comments=-1)
        fresh = state.read_at is not None and state.read_at > reread
        if state.pk and fresh and count == state.comments:
            continue  # nothing new under it, and read lately enough to have seen the edits
        if not state.pk:
            state.comments = 0
            state.save()
        stored += _read_topic(group, state, count, now)
    # Posts older than the window are not read again; what was remembered of them goes.
    OkTopic.objects.filter(group=group, read_at__lt=now - timedelta(days=group.days + 1)).delete()
    if stored:
        logger.info("ok_comments_polled source_id=%s stored=%s", group.source_id, stored)
    return stored


def poll() -> int:
    """Every active OK group of an active source that is due, once."""
    due = timezone.now() - timedelta(seconds=settings.OK_COMMENTS_EVERY)
    groups = OkGroup.objects.select_related("source").filter(
        Q(polled_at__isnull=True) | Q(polled_at__lte=due),
        is_active=True, source__is_active=True, source__channel="ok",
    )  # fmt: skip
    return poll_each(groups, name="ok", read=group_poll)
