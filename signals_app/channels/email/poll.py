"""Reading the e-mail sources' IMAP mailboxes (beat, every minute; `poll()` of the registry).

Each unread message of the mailbox's folder is stored in the inbox under its Message-ID — its
attachments saved first, with size and SHA-256 — and only then marked read (or moved to the
done folder): a worker killed in between leaves it unread, and the next run finds it stored
already (the inbox de-duplicates on the key). A message that cannot be read is stored as
failed, with why, and marked like the rest: one bad letter never holds up the mailbox. One
worker reads a mailbox at a time and an unreachable server is recorded on the mailbox and
tried again on the next run (`ingest.polling`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from signals_app.channels.email.message import Blob, broken, ids, key_of, oversized, read
from signals_app.ingest.polling import poll_each
from signals_app.ingest.services import inbound_store
from signals_app.models import InboundMessage, Mailbox

logger = logging.getLogger(__name__)

CHUNK = 50  # messages looked at per IMAP command
MAX_MESSAGE = 40 * 1024 * 1024  # bytes: a larger letter is not downloaded
LIMIT = 1000  # messages per mailbox per run: a flood is read over several runs
TIMEOUT = 60  # seconds for each IMAP command


@dataclass
class Polled:
    stored: int = 0
    known: int = 0  # stored before (a run interrupted after storing)
    failed: int = 0  # stored as failed: they could not be read


def _connect(mailbox: Mailbox) -> Any:
    from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

    kinds = {
        Mailbox.Security.SSL: MailBox,
        Mailbox.Security.STARTTLS: MailBoxStartTls,
        Mailbox.Security.PLAIN: MailBoxUnencrypted,
    }
    client = kinds[Mailbox.Security(mailbox.security)](mailbox.host, mailbox.port, timeout=TIMEOUT)
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def _save(blobs: list[Blob]) -> list[dict[str, Any]]:
    """The attachments saved to storage, as the payload lists them."""
    at = timezone.now()
    files = []
    for blob in blobs:
        digest = blob.sha256
        path = default_storage.save(
            f"mail/{at:%Y/%m}/{digest[:32]}{blob.suffix}", ContentFile(blob.content)
        )
        files.append({"path": path, "name": blob.name, "content_type": blob.content_type,
                      "size": len(blob.content), "sha256": digest})  # fmt: skip
    return files


def _store(mailbox: Mailbox, message: Any, result: Polled, *, too_large: int = 0) -> None:
    """One fetched message into the inbox (its files first), unless it is there already."""
    headers = message.obj
    message_id = next(iter(ids(headers.get("Message-ID"))), "")
    # Without a Message-ID, the letter is known by its headers (the same whether the body was
    # downloaded or not).
    raw = b"" if message_id else repr(list(headers.items())).encode()
    key = key_of(message_id, raw)
    if InboundMessage.objects.filter(source=mailbox.source, external_id=key).exists():
        result.known += 1
        return
    blobs: list[Blob] = []
    if too_large:
        payload = oversized(message, too_large)
        result.failed += 1
    else:
        try:
            payload, blobs = read(message, own_address=mailbox.reply_address)
        except Exception as error:  # a letter the parser cannot take: stored, failing
            payload = broken(raw, error)
            result.failed += 1
            logger.warning("mail_unreadable source_id=%s error=%s", mailbox.source_id,
                           type(error).__name__)  # fmt: skip
    if blobs and not payload.get("auto"):
        payload["files"] = _save(blobs)
    stored = inbound_store(source=mailbox.source, external_id=key, payload=payload)
    if stored.created:
        result.stored += 1
    else:
        result.known += 1


def mailbox_poll(mailbox: Mailbox, *, limit: int = LIMIT) -> Polled:
    """Read one mailbox's unread messages into the inbox; mark each one after it is stored."""
    from imap_tools import AND, MailMessageFlags

    result = Polled()
    with _connect(mailbox) as client:
        uids = client.uids(AND(seen=False))[:limit]
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start : start + CHUNK]
            done: list[str] = []
            # The sizes first (headers only): a letter too large to read is kept as failed,
            # from its headers, and never downloaded; the rest come one at a time.
            heads = list(client.fetch(AND(uid=chunk), mark_seen=False, headers_only=True))
            wanted = []
            for head in heads:
                if head.size_rfc822 > MAX_MESSAGE:
                    _store(mailbox, head, result, too_large=head.size_rfc822)
                    done.append(head.uid)
                else:
                    wanted.append(head.uid)
            if wanted:
                for message in client.fetch(AND(uid=wanted), mark_seen=False, bulk=False):
                    _store(mailbox, message, result)
                    done.append(message.uid)
            if not done:
                continue
            if mailbox.done_folder:
                client.move(done, mailbox.done_folder)
            else:
                client.flag(done, MailMessageFlags.SEEN, True)
    return result


def _read(mailbox: Mailbox) -> int:
    result = mailbox_poll(mailbox)
    if result.stored or result.failed:
        logger.info("mail_polled source_id=%s stored=%s known=%s failed=%s",
                    mailbox.source_id, result.stored, result.known, result.failed)  # fmt: skip
    return result.stored


def poll() -> int:
    """Every active mailbox of an active e-mail source, once; how many messages were stored."""
    mailboxes = Mailbox.objects.select_related("source", "source__region").filter(
        is_active=True, source__is_active=True, source__channel="email"
    )
    return poll_each(mailboxes, name="mail", read=_read)
