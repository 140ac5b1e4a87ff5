"""A stored e-mail (`channels.email.message.read`) → what it asks for.

The text is the plain body, else the HTML body turned into text (never rendered); a reply's
quoted history is cut off. The thread is the first message of the conversation (the root of
References), so the citizen's reply to our answer finds the signal its first letter made.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from signals_app.channels.payload import (
    ForwardReply,
    Outcome,
    PayloadError,
    SignalData,
    clean_text,
    plain,
)
from signals_app.contacts import tracking_key

# The line a mail program writes above the quoted letter: «On Mon, 1 Dec 2026, X wrote:»,
# «1 декабря 2026 г., в 10:00, X написал(а):», «-----Original Message-----».
ATTRIBUTION = re.compile(
    r"^\s*(?:(?:On\b|В?\s*\w{2},?\s|\d{1,2}[\s.]).{0,200}"
    r"(?:wrote|writes|пишет|писал|написал|написала|написал\(а\))\s*:\s*$"
    r"|-{2,}\s*(?:Original Message|Исходное сообщение|Пересылаемое сообщение)\s*-{2,}.*$)",
    re.IGNORECASE,
)
HTML_LIMIT = 500_000


def html_text(html: str) -> str:
    """The text of an HTML body, laid out as a reader sees it (scripts and styles dropped)."""
    from inscriptis import get_text

    if not html.strip():
        return ""
    try:
        return get_text(html[:HTML_LIMIT])
    except Exception as error:  # inscriptis parses with lxml; a hopeless document is refused
        raise PayloadError(f"the HTML body cannot be read: {type(error).__name__}") from error


def fresh_part(text: str) -> str:
    """A reply without the letter it quotes: cut at the attribution line, quoted lines dropped."""
    kept: list[str] = []
    for line in text.splitlines():
        if ATTRIBUTION.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    fresh = "\n".join(kept).strip()
    return fresh or text.strip()


def _tracking_key(recipients: Any) -> str:
    """The key of a forward whose tracking address the letter was sent to ("" for none)."""
    for address in recipients if isinstance(recipients, list) else []:
        key = tracking_key(address) if isinstance(address, str) else ""
        if key:
            return key
    return ""


def _posted(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    if payload.get("broken"):
        raise PayloadError(f"the message cannot be read: {plain(payload['broken'], 'broken')}")
    auto = plain(payload.get("auto"), "auto", limit=200)
    if auto:
        return Outcome("ignore", key=external_id, reason=f"automatic mail ({auto})")
    found = payload.get("from")
    sender: dict[str, Any] = found if isinstance(found, dict) else {}
    address = plain(sender.get("address"), "from.address", limit=254).lower()
    if "@" not in address:  # a letter without a sender cannot be answered: a person looks
        raise PayloadError("the letter has no sender address (From)")
    message_id = plain(payload.get("message_id"), "message_id", limit=500)
    in_reply_to = plain(payload.get("in_reply_to"), "in_reply_to", limit=500)
    references = [
        item for item in payload.get("references") or [] if isinstance(item, str) and item
    ]
    is_reply = bool(in_reply_to or references)
    body = plain(payload.get("text"), "text") or html_text(plain(payload.get("html"), "html"))
    if is_reply:
        body = fresh_part(body)
    files = [item for item in payload.get("files") or [] if isinstance(item, dict)]
    token = _tracking_key(payload.get("to"))
    if token:  # an outside body answers a forwarded signal
        return Outcome(
            "forward_reply", key=external_id,
            forward=ForwardReply(token=token, text=clean_text(body) or "—"),
            data=SignalData(text=clean_text(body) or "—",
                            files=[item for item in files if item.get("path")]),
        )  # fmt: skip
    subject = plain(payload.get("subject"), "subject", limit=500)
    if subject and not is_reply and not body.startswith(subject):
        body = f"{subject}\n\n{body}".strip()
    text = clean_text(body)
    if not text:
        return Outcome("ignore", key=external_id, reason="no text and no subject")
    return Outcome(
        "create",
        key=external_id,
        data=SignalData(
            text=text,
            posted_at=_posted(payload.get("date")),
            author_name=plain(sender.get("name"), "from.name", limit=300),
            author_contact=address,
            thread_id=(references[:1] or [in_reply_to or message_id])[0][:200],
            files=[item for item in files if item.get("path")],
            in_reply=is_reply,
        ),
    )
