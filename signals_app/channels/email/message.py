"""One e-mail as the inbox keeps it (pure: no database, no files written).

`read(message)` takes a parsed message (imap-tools' `MailMessage`, whose parts are decoded with
the standard library's e-mail package) and gives the JSON payload the inbox stores, with the
attachments' bytes beside it for the poller to save. Nothing here renders HTML: the normaliser
turns it into text. Automatic mail — replies of an autoresponder, delivery and read reports —
is recognised by its headers (RFC 3834 `Auto-Submitted`, `multipart/report`, the mail server's
own senders) and marked, so that it is stored and never becomes a signal.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from signals_app.channels.payload import clean_text

MAX_HTML = 500_000  # characters of an HTML body kept for the normaliser
MAX_FILE = 10 * 1024 * 1024
MAX_FILES = 20
MAX_FILES_TOTAL = 30 * 1024 * 1024
MAX_REFERENCES = 20
MAX_ID = 190  # a longer Message-ID is kept as its hash (the inbox's key is 200 characters)

MESSAGE_ID = re.compile(r"<[^<>\s]{1,500}>")
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Failed-Recipients")
MAIL_SERVERS = {"mailer-daemon", "postmaster", "mail-daemon"}
SAFE_SUFFIX = re.compile(r"\.([A-Za-z0-9]{1,8})$")


@dataclass(frozen=True)
class Blob:
    """An attachment's bytes and what the payload says of it."""

    name: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def suffix(self) -> str:
        found = SAFE_SUFFIX.search(self.name)
        return f".{found[1].lower()}" if found else ""


def ids(value: str | None) -> list[str]:
    """The message ids (`<local@domain>`) a header names, in order (encoded words, which some
    mail programs wrap long ids in, decoded first)."""
    text = str(value or "")
    if "=?" in text:
        from email.header import decode_header, make_header

        with contextlib.suppress(ValueError, LookupError):  # undecodable: read as it is
            text = str(make_header(decode_header(text)))
    return MESSAGE_ID.findall(text)


def key_of(message_id: str, raw: bytes = b"") -> str:
    """The inbox's key of a message: its Message-ID, else a hash of its bytes."""
    if message_id and len(message_id) <= MAX_ID:
        return f"mail:{message_id}"
    digest = hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()
    return f"mail:sha256:{digest}"


def automatic(headers: Message, sender: str, own_address: str = "") -> str:
    """Why the message is automatic mail ("" for a person's message)."""
    auto = str(headers.get("Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:50]}"
    for name in AUTO_HEADERS:
        if headers.get(name):
            return name
    if str(headers.get("Precedence") or "").strip().lower() in AUTO_PRECEDENCE:
        return "Precedence: " + str(headers.get("Precedence")).strip().lower()
    if headers.get_content_type() == "multipart/report":
        return "a delivery or read report"
    if sender.split("@", 1)[0] in MAIL_SERVERS:
        return "a mail server's report"
    if own_address and sender == own_address.lower():
        return "sent from this mailbox"
    return ""


RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


def _recipients(headers: Message) -> list[str]:
    from email.utils import getaddresses

    values = [str(value) for name in RECIPIENT_HEADERS for value in headers.get_all(name) or []]
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().lower()[:254]
        if "@" in address and address not in found:
            found.append(address)
    return found[:50]


def _moment(value: datetime | None) -> str:
    """The Date header as ISO time, when it is a believable moment ("" otherwise)."""
    if value is None or value.year < 2000 or value.year > 2100:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def read(message: Any, *, own_address: str = "") -> tuple[dict[str, Any], list[Blob]]:
    """The payload of one message and its attachments (within the limits; the rest listed as
    skipped, with why)."""
    headers: Message = message.obj
    message_id = next(iter(ids(headers.get("Message-ID"))), "")
    sender = message.from_values
    address = clean_text(sender.email if sender else "", limit=254).lower()
    payload: dict[str, Any] = {
        "message_id": message_id,
        "in_reply_to": next(iter(ids(headers.get("In-Reply-To"))), ""),
        "references": ids(headers.get("References"))[-MAX_REFERENCES:],
        "from": {"name": clean_text(sender.name if sender else "", limit=300), "address": address},
        "subject": clean_text(message.subject, limit=500),
        "date": _moment(message.date if message.date_str else None),
        "auto": automatic(headers, address, own_address),
        # Where it was sent: a forward's tracking address (`+fw-<key>`) is found among them.
        "to": _recipients(headers),
        "text": clean_text(message.text),
        "html": clean_text(message.html, limit=MAX_HTML) if not message.text else "",
    }
    blobs: list[Blob] = []
    skipped: list[dict[str, Any]] = []
    total = 0
    for part in message.attachments:
        content = part.payload or b""
        name = clean_text(part.filename, limit=300) or "attachment"
        size = len(content)
        reason = ""
        if not size:
            reason = "empty"
        elif size > MAX_FILE:
            reason = "larger than 10 MB"
        elif len(blobs) >= MAX_FILES or total + size > MAX_FILES_TOTAL:
            reason = "over the limit of one message"
        if reason:
            skipped.append({"name": name, "size": size, "reason": reason})
            continue
        total += size
        blobs.append(Blob(name, clean_text(part.content_type, limit=100), content))
    if skipped:
        payload["skipped_files"] = skipped
    return payload, blobs


def oversized(message: Any, size: int) -> dict[str, Any]:
    """The payload of a letter too large to download: what its headers say, stored as failed
    for a person to fetch it from the mailbox by hand."""
    sender = message.from_values
    return {
        "broken": f"the letter is {size // (1024 * 1024)} MB, larger than the 40 MB read here",
        "size": size,
        "message_id": next(iter(ids(message.obj.get("Message-ID"))), ""),
        "from": {"name": clean_text(sender.name if sender else "", limit=300),
                 "address": clean_text(sender.email if sender else "", limit=254).lower()},
        "subject": clean_text(message.subject, limit=500),
    }  # fmt: skip


def broken(raw: bytes, error: Exception) -> dict[str, Any]:
    """The payload of a message that could not be read: stored as failed, with why."""
    return {"broken": f"{type(error).__name__}: {error}"[:500], "size": len(raw)}
