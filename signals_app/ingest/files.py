"""Read platform exports (CSV or XLSX) into rows of the batch API's item shape. No database.

A source's column mapping says which header holds which field; without one, the common headers
of the feedback platform's exports and the API's own field names are recognised. Each row comes
back either as an API item (validated by the API's own serializer later) or with the reason it
was refused, always with its line number in the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

# Fields an import row can fill, in the API item's names (author parts flattened).
FIELDS = (
    "external_id",
    "text",
    "posted_at",
    "author_name",
    "author_profile_url",
    "author_email",
    "author_phone",
    "url",
    "municipality",
    "address",
    "lat",
    "lon",
    "category",
    "thread_id",
)

# Headers recognised without a mapping (compared case-insensitively, spaces trimmed).
DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "номер", "номер сообщения", "id сообщения", "№"),
    "text": ("text", "текст", "текст сообщения", "текст обращения", "сообщение", "описание"),
    "posted_at": (
        "posted_at",
        "дата",
        "дата создания",
        "дата публикации",
        "дата и время",
        "дата поступления",
    ),
    "author_name": ("author_name", "автор", "фио", "заявитель", "фио заявителя"),
    "author_profile_url": ("author_profile_url", "профиль", "ссылка на автора", "профиль автора"),
    "author_email": ("author_email", "email", "e-mail", "электронная почта"),
    "author_phone": ("author_phone", "phone", "телефон"),
    "url": ("url", "ссылка", "ссылка на сообщение", "ссылка на источник"),
    "municipality": ("municipality", "муниципалитет", "муниципальное образование", "октмо"),
    "address": ("address", "адрес", "адрес проблемы"),
    "lat": ("lat", "широта"),
    "lon": ("lon", "долгота"),
    "category": ("category", "код категории", "категория (код)"),
    "thread_id": ("thread_id", "ветка", "id ветки"),
}

DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)

XLSX_MAGIC = b"PK\x03\x04"


class FileFormatError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, unknown encoding, no header)."""


@dataclass
class Row:
    line: int
    item: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def _norm(header: Any) -> str:
    return " ".join(str(header or "").replace("\ufeff", "").split()).lower()


def column_index(headers: list[Any], mapping: dict[str, str] | None) -> dict[str, int]:
    """Field → column position; the source's mapping first, then the default headers."""
    positions = {_norm(header): index for index, header in enumerate(headers) if _norm(header)}
    found: dict[str, int] = {}
    for name in FIELDS:
        wanted = (mapping or {}).get(name)
        candidates = (wanted,) if wanted else DEFAULT_HEADERS[name]
        for candidate in candidates:
            if _norm(candidate) in positions:
                found[name] = positions[_norm(candidate)]
                break
    if "text" not in found:
        expected = (mapping or {}).get("text") or DEFAULT_HEADERS["text"][1].capitalize()
        raise FileFormatError(
            _("No column for the text (expected a header «%(header)s»).") % {"header": expected}
        )
    if "posted_at" not in found:
        expected = (mapping or {}).get("posted_at") or DEFAULT_HEADERS["posted_at"][2].capitalize()
        raise FileFormatError(
            _("No column for the date (expected a header «%(header)s»).") % {"header": expected}
        )
    return found


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1251 — the two encodings platform exports use."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1251")
    except UnicodeDecodeError as error:
        raise FileFormatError(_("The file is neither UTF-8 nor Windows-1251 text.")) from error


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") >= header.count(",") else ","


def csv_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = decode_csv(raw)
    if "\x00" in text:
        text = text.replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    start = 1
    try:
        for values in reader:
            yield start, values
            start = reader.line_num + 1
    except csv.Error as error:
        raise FileFormatError(
            _("Line %(line)s: %(error)s") % {"line": start, "error": error}
        ) from error


def xlsx_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileFormatError(_("The XLSX file is damaged or not a workbook.")) from error
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def sniff_rows(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    if raw.startswith(XLSX_MAGIC):
        return xlsx_rows(raw)
    return csv_rows(raw)


def read_file(
    stream: BinaryIO, *, mapping: dict[str, str] | None, time_zone: str
) -> tuple[int, Iterator[Row]]:
    """Return the number of data rows and an iterator of rows (item or error), header skipped."""
    raw = stream.read()
    if not raw.strip():
        raise FileFormatError(_("The file is empty."))
    rows = [(line, values) for line, values in sniff_rows(raw) if any(_cell(v) for v in values)]
    if not rows:
        raise FileFormatError(_("The file is empty."))
    headers = rows[0][1]
    columns = column_index(headers, mapping)
    zone = ZoneInfo(time_zone)

    def items() -> Iterator[Row]:
        for line, values in rows[1:]:
            yield row_item(line, values, columns, zone)

    return len(rows) - 1, items()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\x00", "").strip()


def _datetime(value: Any, zone: ZoneInfo) -> str:
    """ISO 8601 with an offset; a local time without one is taken in the region's zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = _cell(value)
        if not text:
            raise ValueError(_("no date"))
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for pattern in DATE_FORMATS:
                try:
                    moment = datetime.strptime(text, pattern)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(_("unreadable date «%(value)s»") % {"value": text[:40]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def row_item(line: int, values: list[Any], columns: dict[str, int], zone: ZoneInfo) -> Row:
    def get(name: str) -> Any:
        index = columns.get(name)
        return values[index] if index is not None and index < len(values) else None

    try:
        posted_at = _datetime(get("posted_at"), zone)
    except ValueError as error:
        return Row(line, error=f"posted_at: {error}")
    item: dict[str, Any] = {"text": _cell(get("text")), "posted_at": posted_at}
    author = {
        key: _cell(get(f"author_{key}"))
        for key in ("name", "profile_url", "email", "phone")
        if _cell(get(f"author_{key}"))
    }
    if author:
        item["author"] = author
    for name in ("url", "municipality", "address", "category", "thread_id"):
        if _cell(get(name)):
            item[name] = _cell(get(name))
    for name in ("lat", "lon"):
        raw = _cell(get(name)).replace(",", ".")
        if raw:
            item[name] = raw
    external_id = _cell(get("external_id"))
    if not external_id:
        # No id column: the row's own content is its identity, so a re-import finds it again.
        digest = hashlib.sha256(
            "\x1f".join(_cell(value) for value in values).encode("utf-8")
        ).hexdigest()
        external_id = f"row:{digest[:40]}"
    item["external_id"] = external_id
    return Row(line, item=item)
