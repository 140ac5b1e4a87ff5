"""Answers by e-mail: to a 59-FZ appeal's sender, and to the author of any signal whose channel
has no way back of its own but who left an address. The Message-ID is built from the delivery's
key, so a copy sent again is recognisable; e-mail has no idempotency key, so an interrupted
send is never repeated by itself."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from signals_app.channels.spec import Plan, Result, never_sent
from signals_app.contacts import email_in
from signals_app.models import Reply, Signal

IDEMPOTENT: set[str] = set()


def _email_of(signal: Signal) -> str:
    return email_in(signal.author_contact)


def plan(signal: Signal) -> Plan:
    address = _email_of(signal)
    if address:
        return Plan("email", {"to": address} | _thread(signal))
    return Plan("", reason=_("The author left no way back (no e-mail for this channel)."))


def _thread(signal: Signal) -> dict[str, Any]:
    """For a letter that came to one of our mailboxes: the answer leaves from that mailbox's
    address, in the same conversation (In-Reply-To, References, «Re:» of its subject)."""
    if (
        signal.channel != "email"
        or signal.source_id is None
        or not signal.external_id.startswith("mail:<")
    ):
        return {}
    from signals_app.models import InboundMessage, Mailbox

    message_id = signal.external_id.removeprefix("mail:")
    root = signal.thread_id if signal.thread_id.startswith("<") else message_id
    found: dict[str, Any] = {
        "in_reply_to": message_id,
        "references": [root, message_id] if root != message_id else [message_id],
    }
    mailbox = Mailbox.objects.filter(source_id=signal.source_id).first()
    if mailbox is not None and mailbox.reply_address:
        found["from"] = mailbox.reply_address
    payload = (
        InboundMessage.objects.filter(source_id=signal.source_id, external_id=signal.external_id)
        .values_list("payload", flat=True)
        .first()
    )
    subject = payload.get("subject") if isinstance(payload, dict) else None
    if isinstance(subject, str) and subject.strip():
        found["subject"] = subject.strip()[:200]
    return found


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    return _send_email(target, key, reply, signal)


def _send_email(target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    import smtplib

    from signals_app.citizen import citizen_language

    with citizen_language():  # the citizen's language, whoever sends it
        subjects: dict[str, str] = {
            Reply.Kind.SURVEY: _("Is the problem of your appeal %(number)s solved?"),
            Reply.Kind.NOTICE: _("Your appeal %(number)s"),
            Reply.Kind.QUESTION: _("A question about your appeal %(number)s"),
            Reply.Kind.FOLLOWER: _("The appeal %(number)s that you joined is answered"),
            Reply.Kind.FORWARD: _("Appeal %(number)s: forwarded by competence"),
        }
        subject = subjects.get(reply.kind, _("Answer to your appeal %(number)s")) % {
            "number": signal.number
        }
        if target.get("subject_exact"):
            subject = target["subject_exact"]
        elif target.get("subject"):  # the citizen's own subject, as mail programs thread it
            original = target["subject"]
            original = original if original.lower().startswith("re:") else f"Re: {original}"
            subject = _("%(subject)s (appeal %(number)s)") % {
                "subject": original, "number": signal.number
            }  # fmt: skip
    message_id = make_msgid(idstring=key[:32], domain=settings.EMAIL_MESSAGE_DOMAIN)
    headers = {"Message-ID": message_id}
    if target.get("in_reply_to"):
        headers["In-Reply-To"] = target["in_reply_to"]
        headers["References"] = " ".join(target.get("references") or [target["in_reply_to"]])
    if reply.kind in (Reply.Kind.SURVEY, Reply.Kind.NOTICE, Reply.Kind.FOLLOWER):
        # Written by the system, not a person (RFC 3834): autoresponders do not answer it.
        headers["Auto-Submitted"] = "auto-generated"
    sender = target.get("from") or None
    answer_to = target.get("reply_to") or sender  # a forward's tracking address
    message = EmailMessage(
        subject, reply.text, from_email=sender, to=[target["to"]], headers=headers,
        reply_to=[answer_to] if answer_to else None,
    )  # fmt: skip
    try:
        message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        return Result("permanent", error_code="smtp_refused", detail=type(error).__name__)
    except smtplib.SMTPResponseException as error:
        kind = "permanent" if 500 <= error.smtp_code < 600 else "transient"
        return Result(kind, error_code=f"smtp_{error.smtp_code}", detail=type(error).__name__)
    except (smtplib.SMTPException, OSError) as error:
        if never_sent(error):
            return Result("transient", error_code="smtp", detail=type(error).__name__)
        return Result("uncertain", error_code="smtp_no_answer", detail=type(error).__name__)
    return Result("delivered", remote_id=message_id[:100])
