"""A citizen's contact as the signal keeps it (`author_contact`: a phone, an e-mail, or both
separated by a comma) and the parts the ways back read from it (floor 1, no database)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_SEPARATORS = re.compile(r"[,;\s]+")
_PHONE = re.compile(r"\+?[\d\s()\-]{5,25}")


def digits(value: str) -> str:
    """A phone number's digits, the Russian trunk prefix dropped (8 or 7 before ten digits):
    «+7 (900) 123-45-67», «8 900 1234567» and «9001234567» are the same number."""
    found = re.sub(r"\D", "", value or "")
    if len(found) == 11 and found[0] in "78":
        found = found[1:]
    return found


def email_in(contact: str) -> str:
    """The first valid e-mail address in a contact ("" when there is none)."""
    for part in _SEPARATORS.split(contact or ""):
        if "@" not in part:
            continue
        try:
            validate_email(part)
        except ValidationError:
            continue
        return part
    return ""


def phone_in(contact: str) -> str:
    """The first phone number in a contact, in international form (+7XXXXXXXXXX for a Russian
    number; "" when there is none)."""
    for part in re.split(r"[,;]", contact or ""):
        part = part.strip()
        if "@" in part or not _PHONE.fullmatch(part):
            continue
        number = digits(part)
        if len(number) == 10:
            return f"+7{number}"
        if 11 <= len(number) <= 15 and part.startswith("+"):
            return f"+{number}"
    return ""


def contact_join(*, phone: str = "", email: str = "") -> str:
    """One contact of a phone and an e-mail, as the signal keeps it."""
    return ", ".join(part.strip() for part in (phone, email) if part and part.strip())[:300]


# A forward's tracking address: the mailbox's own address with `+fw-<key>` (sub-addressing,
# which mail servers deliver to the same mailbox), so the outside body's answer finds its signal.
_TRACKING = re.compile(r"^[^@+]+\+fw-(?P<key>[0-9a-f]{16})@")


def tracking_address(mailbox_address: str, key: str) -> str:
    local, _sep, domain = mailbox_address.partition("@")
    return f"{local.split('+', 1)[0]}+fw-{key}@{domain}"


def tracking_key(address: str) -> str:
    """The forward key a tracking address carries ("" for any other address)."""
    found = _TRACKING.match((address or "").strip().lower())
    return found["key"] if found else ""
