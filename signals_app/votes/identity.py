"""Who votes, known only as keyed hashes: the resident's verified identity (OpenID Connect —
Gosuslugi in production — or a phone with a one-time code), the address and the device the
vote came from. The key (`VOTE_IDENTITY_KEY`) never leaves the server, so a stolen table of
votes names nobody; the same identity always gives the same hash, so a second vote is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from signals_app.contacts import digits

logger = logging.getLogger(__name__)

CODE_TTL = 10 * 60  # seconds a one-time code stays good
CODE_TRIES = 5  # wrong codes before it is void
CODE_RESEND = 60  # seconds before another code is sent to the same phone


def _key() -> bytes:
    return (settings.VOTE_IDENTITY_KEY or f"votes:{settings.SECRET_KEY}").encode()


def keyed(kind: str, value: str, *, length: int = 64) -> str:
    """HMAC-SHA256 of `kind:value` under the identity key, in hex (cut to `length`)."""
    return hmac.new(_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:length]


def oidc_identity(issuer: str, subject: str) -> str:
    return keyed("oidc", f"{issuer}|{subject}")


def phone_identity(phone: str) -> str:
    return keyed("phone", phone_digits(phone))


def address_hash(address: str) -> str:
    return keyed("address", address, length=16) if address else ""


def device_hash(device: str) -> str:
    return keyed("device", device, length=16) if device else ""


def phone_digits(phone: str) -> str:
    """A Russian mobile number as 11 digits starting with 7, or "" when it is not one."""
    found = digits(phone)
    if len(found) == 11 and found[0] == "8":
        found = "7" + found[1:]
    if len(found) == 10 and found[0] == "9":
        found = "7" + found
    return found if len(found) == 11 and found.startswith("79") else ""


def age_on(birthdate: date, moment: date) -> int:
    before_birthday = (moment.month, moment.day) < (birthdate.month, birthdate.day)
    return moment.year - birthdate.year - int(before_birthday)


@dataclass(frozen=True)
class Verified:
    """What verification established (kept in the session, never in the database as is)."""

    identity: str
    method: str  # Voter.Method
    birthdate: str = ""  # ISO date from the identity provider, "" when it gave none
    oktmo: str = ""  # the municipality the provider knows the resident in, if any

    def as_session(self) -> dict[str, str]:
        return {"identity": self.identity, "method": self.method, "birthdate": self.birthdate,
                "oktmo": self.oktmo}  # fmt: skip


# --- OpenID Connect ---------------------------------------------------------------------------


def oidc_enabled() -> bool:
    return bool(settings.VOTE_OIDC_DISCOVERY_URL and settings.VOTE_OIDC_CLIENT_ID)


def oidc_client() -> Any:
    """The identity provider's client (Authlib): the authorisation code flow with PKCE, state
    and nonce; the ID token checked against the provider's published keys."""
    from authlib.integrations.django_client import OAuth

    registry = OAuth()
    registry.register(
        name="gosuslugi",
        client_id=settings.VOTE_OIDC_CLIENT_ID,
        client_secret=settings.VOTE_OIDC_CLIENT_SECRET,
        server_metadata_url=settings.VOTE_OIDC_DISCOVERY_URL,
        client_kwargs={
            "scope": settings.VOTE_OIDC_SCOPES,
            "code_challenge_method": "S256",
            "timeout": 10,
        },
    )
    return registry.create_client("gosuslugi")


def oidc_verified(claims: dict[str, Any]) -> Verified:
    """The verified resident of an ID token's claims (issuer and subject hashed together)."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        raise ValueError("the ID token names no issuer or subject")
    birthdate = str(claims.get(settings.VOTE_OIDC_BIRTHDATE_CLAIM) or "")[:10]
    try:
        date.fromisoformat(birthdate)
    except ValueError:
        birthdate = ""
    oktmo = digits(str(claims.get(settings.VOTE_OIDC_OKTMO_CLAIM) or ""))[:11]
    return Verified(oidc_identity(issuer, subject), "oidc", birthdate, oktmo)


# --- a phone and a one-time code (the fallback) ----------------------------------------------


def _code_key(phone: str) -> str:
    return "vote-code:" + keyed("code", phone, length=32)


def code_keys(phone: str) -> list[str]:
    """The cache keys a phone's code lives under (the code, the resend wait)."""
    key = _code_key(phone_digits(phone))
    return [key, key + ":sent"]


def code_send(phone: str) -> str:
    """Send a one-time code by SMS; "" when sent, else why not (for the resident)."""
    from signals_app.channels.phone.sms import gateway

    number = phone_digits(phone)
    if not number:
        return _("Give a Russian mobile number, such as +7 912 345-67-89.")
    sender = gateway()
    if sender is None:
        return _("Codes by SMS are not available; sign in through Gosuslugi.")
    if not cache.add(_code_key(number) + ":sent", 1, CODE_RESEND):
        return _("A code was sent a minute ago; wait for it or try again later.")
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(_code_key(number), {"hash": keyed("otp", code), "tries": 0}, CODE_TTL)
    text = _("Your code for the vote: %(code)s. Do not tell it to anyone.") % {"code": code}
    result = sender.send(to=f"+{number}", text=text, key=f"vote-{secrets.token_hex(8)}")
    if result.kind != "delivered":
        logger.warning("vote_code_not_sent error=%s", result.error_code)
        cache.delete(_code_key(number))
        return _("The code could not be sent; try again in a few minutes.")
    return ""


def code_check(phone: str, code: str) -> Verified | None:
    """The verified phone when the code is right (once: it is void after), else None."""
    number = phone_digits(phone)
    key = _code_key(number)
    stored = cache.get(key) if number else None
    if not stored:
        return None
    if not hmac.compare_digest(stored["hash"], keyed("otp", digits(code)[:6])):
        stored["tries"] += 1
        if stored["tries"] >= CODE_TRIES:
            cache.delete(key)
        else:
            cache.set(key, stored, CODE_TTL)
        return None
    cache.delete(key)
    return Verified(phone_identity(number), "phone")
