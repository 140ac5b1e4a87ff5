"""Answers by e-mail: to a 59-FZ appeal's sender, and to the author of any signal whose channel
has no way back of its own but who left an address. The Message-ID is built from the delivery's
key, so a copy sent again is recognisable; e-mail has no idempotency key, so an interrupted
send is never repeated by itself."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from signals_app.channels.spec import Plan, Result, never_sent
from signals_app.models import Reply, Signal

IDEMPOTENT: set[str] = set()


def _email_of(signal: Signal) -> str:
    contact = (signal.author_contact or "").strip()
    try:
        validate_email(contact)
    except ValidationError:
        return ""
    return contact


def plan(signal: Signal) -> Plan:
    address = _email_of(signal)
    if address:
        return Plan("email", {"to": address})
    return Plan("", reason=_("The author left no way back (no e-mail for this channel)."))


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    return _send_email(target, key, reply, signal)


def _send_email(target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    import smtplib

    subjects: dict[str, str] = {
        Reply.Kind.SURVEY: _("Is the problem of your appeal %(number)s solved?"),
        Reply.Kind.NOTICE: _("Your appeal %(number)s"),
        Reply.Kind.QUESTION: _("A question about your appeal %(number)s"),
        Reply.Kind.FOLLOWER: _("The appeal %(number)s that you joined is answered"),
    }
    subject = subjects.get(reply.kind, _("Answer to your appeal %(number)s")) % {
        "number": signal.number
    }
    message = EmailMessage(
        subject, reply.text, to=[target["to"]],
        headers={"Message-ID": make_msgid(idstring=key[:32], domain=settings.EMAIL_MESSAGE_DOMAIN)},
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
    return Result("delivered")
