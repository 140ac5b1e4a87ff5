"""Cells for the files the product writes (floor 1): a text that a spreadsheet would run as a
formula is written so it stays text.

A citizen's text, name or address beginning with `=`, `+`, `-`, `@`, a tab or a carriage
return would be a live formula once the file is opened (CSV injection). In CSV it is prefixed
with an apostrophe, as OWASP advises (the file has no types, so "+7 900…" reads "'+7 900…"). In
XLSX every text is a text cell, never a formula, and reads back exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# The starts that spreadsheets read as a formula, with their full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row whose formula-like texts are prefixed with an apostrophe."""
    return ["'" + value if is_formula_like(value) else value for value in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for `sheet.append` in which no text becomes a formula."""
    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = (
                WriteOnlyCell(sheet, value=value)
                if isinstance(sheet, WriteOnlyWorksheet)
                else Cell(sheet, value=value)
            )
            cell.data_type = "s"  # openpyxl makes "=…" a formula; it is the citizen's text
            row.append(cell)
        else:
            row.append(value)
    return row


# Russian Excel reads «;» as the separator (the comma is the decimal mark there).
CSV_DELIMITER = ";"


def moment_text(value: Any, zone: Any) -> Any:
    """A moment as the reader's local «dd.mm.yyyy hh:mm» (other values as they are)."""
    if hasattr(value, "astimezone"):
        return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    return value
