"""How a caller (or a visitor) hears the answer: by e-mail when they left one, else by SMS
when a gateway is configured, else nobody can send it — the delivery says «call the citizen
back at …», and whoever calls marks it «Доставлено другим способом»."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from signals_app.channels.phone.sms import gateway
from signals_app.channels.spec import Plan, Result
from signals_app.contacts import email_in, phone_in
from signals_app.models import Reply, Signal

IDEMPOTENT = {"phone.sms"}  # the gateway de-duplicates by the delivery's key
SMS_LIMIT = 1000  # characters: a longer answer goes by a call


def plan(signal: Signal) -> Plan:
    email = email_in(signal.author_contact)
    if email:
        return Plan("email", {"to": email})
    phone = phone_in(signal.author_contact)
    if phone and gateway() is not None:
        return Plan("phone.sms", {"to": phone})
    if phone:
        return Plan("", reason=_(
            "Call the citizen back at %(phone)s (no SMS gateway is set up), then mark the "
            "answer «Доставлено другим способом»."
        ) % {"phone": phone})  # fmt: skip
    return Plan("", reason=_("The citizen left no phone and no e-mail."))


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    sms = gateway()
    if sms is None:
        return Result("permanent", error_code="not_configured",
                      detail=_("No SMS gateway is set up (SMS_BACKEND)."))  # fmt: skip
    if len(reply.text) > SMS_LIMIT:
        return Result("permanent", error_code="too_long",
                      detail=_("The answer is too long for an SMS: call the citizen back."))  # fmt: skip
    return sms.send(to=target["to"], text=reply.text, key=key)
