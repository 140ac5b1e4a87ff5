"""Cells for the files the product writes (floor 1): a text that a spreadsheet would run as a
formula is written so it stays text; and the printable PDF of an HTML page.

A citizen's text, name or address beginning with `=`, `+`, `-`, `@`, a tab or a carriage
return would be a live formula once the file is opened (CSV injection). In CSV it is prefixed
with an apostrophe, as OWASP advises (the file has no types, so "+7 900…" reads "'+7 900…"). In
XLSX every text is a text cell, never a formula, and reads back exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
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


def sheet_add(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]],
              formats: dict[int, str] | None = None) -> None:  # fmt: skip
    """A sheet of a workbook: a bold header row, frozen; the rows (no text a formula); number
    formats by column; widths by the contents."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append(xlsx_row(sheet, header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    for column, number_format in (formats or {}).items():
        for cell in sheet.iter_cols(min_col=column, max_col=column, min_row=2):
            for item in cell:
                item.number_format = number_format
    sheet.freeze_panes = "A2"
    for index, title_text in enumerate(header, start=1):
        values = [len(str(title_text))] + [len(str(row[index - 1] or "")) for row in rows[:500]]
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, max(values) + 2))


# Russian Excel reads «;» as the separator (the comma is the decimal mark there).
CSV_DELIMITER = ";"


def moment_text(value: Any, zone: Any) -> Any:
    """A moment as the reader's local «dd.mm.yyyy hh:mm» (other values as they are)."""
    if hasattr(value, "astimezone"):
        return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    return value


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are missing on this server."""


def pdf_of(html: str) -> bytes:
    """A printable page as PDF (fonts embedded by WeasyPrint)."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the Pango library is not installed
        raise PdfUnavailable(str(error)) from error
    return weasyprint.HTML(string=html).write_pdf()
