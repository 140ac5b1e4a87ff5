"""What comes from outside is read by one set of rules (floor 1); the README's "Input rules"
says the same to the platforms' integrators.

- A JSON body that is not UTF-8 JSON, nests deeper than `MAX_DEPTH` levels or holds a lone
  surrogate (`\\ud800`: not a character, and no database can store it) is refused whole
  (400, nothing stored): it was not written by a person, and a guess would change their words.
- NUL (U+0000) is removed from every string of a payload before it is stored: PostgreSQL cannot
  hold it, and in a citizen's text it carries nothing (texts are kept, without it).
- An identifier (an event id, an item id, a number in an address) with a control character or a
  surrogate in it is refused: an id is matched, not read, so it is never silently changed.
- A photo uploaded by a person (the widget, the objects of a vote) is a JPEG or a PNG by its
  first bytes, whatever its name says, and at most `MAX_PHOTO` bytes.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64
MAX_PHOTO = 5 * 1024 * 1024
PHOTO_SIGNATURES = {
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}


def photo_checked(upload: Any) -> tuple[str, str]:
    """An uploaded file's (extension, content type) if it is a photo we take, else
    ValidationError (for the form that took it)."""
    from django import forms

    if upload.size > MAX_PHOTO:
        raise forms.ValidationError(_("The photo is larger than 5 MB."))
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in PHOTO_SIGNATURES.items():
        if head.startswith(signature):
            return kind
    raise forms.ValidationError(_("Only JPEG and PNG photos are accepted."))


class UntrustedInput(ValueError):
    """A body refused by the rules above: `code` for machines, `message` for people."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def read_json(raw: bytes | str) -> Any:
    """The JSON value of a body, checked by the rules above (raises UntrustedInput)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text)
    except RecursionError as error:
        raise UntrustedInput("too_deep", _("The JSON nests too deeply.")) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise UntrustedInput("malformed_json", _("The body is not valid JSON.")) from error
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Refuse a value nested deeper than MAX_DEPTH or holding a lone surrogate (in a key too)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise UntrustedInput("too_deep", _("The JSON nests too deeply."))
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise UntrustedInput(
            "invalid_unicode", _("The body holds a lone surrogate (\\ud800–\\udfff).")
        ) from error


def without_nul(value: Any) -> Any:
    """The value with NUL removed from every string, keys included (a checked value: its
    depth is bounded)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(child) for key, child in value.items()}
    if isinstance(value, list):
        return [without_nul(child) for child in value]
    return value


def is_identifier(value: str) -> bool:
    """An id may be matched as it is: no control character, no surrogate."""
    return value.isprintable() and not any("\ud800" <= char <= "\udfff" for char in value)


class StrictJSONParser(JSONParser):
    """DRF's JSON parser under the rules above: a refused body is a 400 `ParseError` (with the
    rule's code), never a RecursionError or a database error later."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        if not raw:
            raise ParseError(_("The body is empty."))
        try:
            return read_json(raw)
        except UntrustedInput as error:
            # DRF's own code for a body that is not JSON; the rules' codes for the rest.
            code = "parse_error" if error.code == "malformed_json" else error.code
            raise ParseError(error.message, code=code) from error
