"""What a stored payload says (floor 2): the fields of a signal, or an edit, a deletion or
nothing. Pure: no database access. The batch API's item shape (`api_outcome`) is also the shape
of the widget's, Open311's and the file imports' payloads; a channel with its own shape has its
own `normalise.py` (see `signals_app.channels`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

MAX_TEXT = 20_000


class PayloadError(ValueError):
    """The payload cannot become a signal; the message stays in the inbox as failed."""


@dataclass
class SignalData:
    text: str
    posted_at: datetime | None = None
    author_name: str = ""
    author_profile_url: str = ""
    author_contact: str = ""
    external_url: str = ""
    thread_id: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    municipality_hint: str = ""
    category_hint: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    agency_id: int | None = None
    # The message answers inside its thread (a reply to a comment or to a message, an e-mail
    # with In-Reply-To): from the author of an open signal of that thread, it continues that
    # signal instead of making a new one (`ingest.process.thread_signal`).
    in_reply: bool = False
    # The staff member who registered it (a call or a visit taken on the fast form).
    registered_by: int | None = None


def clean_text(value: Any, *, limit: int = MAX_TEXT) -> str:
    """A string without NUL bytes (PostgreSQL cannot store them), trimmed to the limit."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return value.replace("\x00", "").strip()[:limit]


# The platforms' ids are 64-bit at most; a larger number is not an id.
MAX_ID = 2**63 - 1
# Unix time from 2000 to 2100: a platform's "date" outside it is not a moment.
EARLIEST, LATEST = 946_684_800, 4_102_444_800


def section(value: Any, name: str) -> dict[str, Any]:
    """An object of the payload ({} when absent); anything else is refused."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{name} is not an object")
    return value


def whole(value: Any, name: str) -> int | None:
    """A platform's integer id (None when absent); a string, a float or a 10^30 is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{name} is not an integer")
    if not -MAX_ID <= value <= MAX_ID:
        raise PayloadError(f"{name} is out of range")
    return value


def unix_moment(value: Any, name: str) -> datetime | None:
    """A platform's Unix time (None when absent); out of 2000–2100 it is refused."""
    seconds = whole(value, name)
    if seconds is None:
        return None
    if not EARLIEST <= seconds <= LATEST:
        raise PayloadError(f"{name} is out of range")
    return datetime.fromtimestamp(seconds, tz=UTC)


def unix_millis(value: Any, name: str) -> datetime | None:
    """A platform's time in Unix milliseconds (MAX, OK); out of 2000–2100 it is refused."""
    millis = whole(value, name)
    if millis is None:
        return None
    if not EARLIEST * 1000 <= millis <= LATEST * 1000:
        raise PayloadError(f"{name} is out of range")
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def plain(value: Any, name: str, *, limit: int = MAX_TEXT) -> str:
    """A string field of a platform's payload ("" when absent); a list or an object is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{name} is not a string")
    return clean_text(value, limit=limit)


def _coordinate(value: Any, low: int, high: int, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as error:
        raise PayloadError(f"{name} is not a number") from error
    if not low <= number <= high:
        raise PayloadError(f"{name} is out of range")
    return number


def normalize_api_item(payload: dict[str, Any]) -> SignalData:
    """The batch JSON API item (already validated at the door; checked again here)."""
    text = clean_text(payload.get("text"))
    if not text:
        raise PayloadError("text is empty")
    posted_raw = payload.get("posted_at")
    posted_at = parse_datetime(posted_raw) if isinstance(posted_raw, str) else None
    author = payload.get("author") or {}
    if not isinstance(author, dict):
        raise PayloadError("author is not an object")
    latitude = _coordinate(payload.get("lat"), -90, 90, "lat")
    longitude = _coordinate(payload.get("lon"), -180, 180, "lon")
    if (latitude is None) != (longitude is None):
        raise PayloadError("lat and lon go together")
    contact = ", ".join(
        part
        for part in (
            clean_text(author.get("phone"), limit=100),
            clean_text(author.get("email"), limit=200),
        )
        if part
    )
    attachments = [
        {
            "url": clean_text(item.get("url"), limit=1000),
            "name": clean_text(item.get("name"), limit=300),
        }
        for item in payload.get("attachments") or []
        if isinstance(item, dict) and item.get("url")
    ]
    return SignalData(
        text=text,
        posted_at=posted_at,
        author_name=clean_text(author.get("name"), limit=300),
        author_profile_url=clean_text(author.get("profile_url"), limit=500),
        author_contact=contact[:300],
        external_url=clean_text(payload.get("url"), limit=1000),
        thread_id=clean_text(payload.get("thread_id"), limit=200),
        address=clean_text(payload.get("address"), limit=500),
        latitude=latitude,
        longitude=longitude,
        municipality_hint=clean_text(payload.get("municipality"), limit=200),
        category_hint=clean_text(payload.get("category"), limit=64),
        attachments=attachments,
        files=[
            item
            for item in payload.get("files") or []
            if isinstance(item, dict) and item.get("path")
        ],
        agency_id=payload.get("agency_id") if isinstance(payload.get("agency_id"), int) else None,
    )


@dataclass
class Outcome:
    """What a payload asks for: create a signal, edit or delete one, or nothing."""

    action: str  # "create" | "edit" | "delete" | "survey" | "news" | "forward_reply" | "ignore"
    key: str = ""  # the signal's external id at the source
    data: SignalData | None = None
    page_id: str = ""  # the official page (group / channel) it was posted on
    reason: str = ""
    # The official page that wrote it, when a community (not a person) is the author: our own
    # published answers come back this way and are not signals.
    author_page: str = ""
    # "survey": the citizen's answer to «Проблема решена?» — the signal's status-page key
    # (hex), the answer, and the dialogue it came from (checked against the signal's).
    survey: SurveyReply | None = None
    # "news": the author opened the bot from their status page's link and asks for the news of
    # that signal (its status-page key, hex) in this chat.
    news: NewsRequest | None = None
    # "forward_reply": an outside body answered the letter a signal was forwarded with.
    forward: ForwardReply | None = None


@dataclass(frozen=True)
class ForwardReply:
    """An outside body's answer to a forwarded signal: the letter's tracking key, its words."""

    token: str
    text: str


@dataclass(frozen=True)
class NewsRequest:
    key: str
    chat: str


@dataclass(frozen=True)
class SurveyReply:
    key: str
    solved: bool
    thread_id: str = ""


def api_outcome(payload: dict[str, Any], external_id: str) -> Outcome:
    return Outcome("create", key=external_id, data=normalize_api_item(payload))


# --- the survey's buttons («Проблема решена?» in a messenger) --------------------------------

# A button carries the signal's status-page key and the answer (Telegram allows 64 bytes of
# callback data): `sv:<key hex>:1` is «да», `sv:<key hex>:0` is «нет».
_SURVEY_BUTTON = re.compile(r"^sv:(?P<key>[0-9a-f]{32}):(?P<answer>[01])$")


def survey_button_data(key_hex: str, solved: bool) -> str:
    return f"sv:{key_hex}:{1 if solved else 0}"


def survey_pressed(data: str, *, thread_id: str) -> Outcome:
    """What a pressed button's data asks: the survey's answer, or nothing (not ours)."""
    found = _SURVEY_BUTTON.match(data or "")
    if not found:
        return Outcome("ignore", reason="not a survey button")
    return Outcome("survey", survey=SurveyReply(
        key=found["key"], solved=found["answer"] == "1", thread_id=thread_id,
    ))  # fmt: skip


def is_survey_button(data: Any) -> bool:
    return isinstance(data, str) and _SURVEY_BUTTON.match(data) is not None
