"""A signal registered on the fast form (`ingest.register`): the batch API's item shape, and
who registered it — signed by the form, so that no other writer of these sources (a call
centre's system through the batch API) can name a staff member."""

from __future__ import annotations

from typing import Any

from django.core import signing

from signals_app.channels.payload import Outcome, api_outcome

SALT = "signals_app.registered_by"


def registered_by_token(external_id: str, user_id: int) -> str:
    return signing.Signer(salt=SALT).sign(f"{external_id}|{user_id}")


def _registered_by(token: Any, external_id: str) -> int | None:
    if not isinstance(token, str):
        return None
    try:
        value = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    key, _sep, user = value.rpartition("|")
    return int(user) if key == external_id and user.isdigit() else None


def outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    found = api_outcome(payload, external_id)
    if found.data is not None:
        found.data.registered_by = _registered_by(payload.get("registered_by"), external_id)
    return found
