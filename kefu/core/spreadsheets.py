"""Spreadsheets kefu writes: cells that cannot run as formulas, and a small .xlsx writer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (CSV/formula injection)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_cell(value):
    """Numbers and dates as they are; text neutralised and stripped of characters .xlsx cannot hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
    return value


def write_xlsx(*, title: str, header: list[str], rows: Iterable[list]):
    """A one-sheet workbook in a temporary file, positioned at the start (the caller closes it)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(c) for c in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115  handed to the response, which closes it
    workbook.save(out)
    out.seek(0)
    return out


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
