"""Spreadsheets kefu writes: cells that cannot run as formulas, and small .xlsx and .csv writers.

Every text cell goes through `safe_cell`: first the control characters a sheet cannot hold are
dropped, then a cell that would start a formula gets a leading apostrophe. The order matters: checked
first, "\\u0001=1+1" passes the check and becomes the live formula "=1+1" once stripped.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from typing import IO

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def neutralise(text: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (CSV/formula injection).
    Strip control characters before calling this (`safe_cell` does both, in that order)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_text(text: str) -> str:
    """Text as a cell may hold it: control characters dropped, then neutralised."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def safe_cell(value: object) -> object:
    """Numbers and dates as they are; text stripped of control characters, then neutralised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    return value


def write_xlsx(
    *, title: str, header: list[str], rows: Iterable[Iterable[object]], out: IO[bytes] | None = None
) -> IO[bytes]:
    """A one-sheet workbook written into `out` (a binary file) or a temporary file, positioned at
    the start (the caller closes it)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(c) for c in row])
    if out is None:
        out = tempfile.TemporaryFile()  # noqa: SIM115  handed to the response, which closes it
    workbook.save(out)
    out.seek(0)
    return out


def write_csv(
    *, header: list[str], rows: Iterable[Iterable[object]], out: IO[bytes] | None = None
) -> IO[bytes]:
    """UTF-8 with a BOM (so Excel reads Chinese), written into `out` (a binary file) or a temporary
    file, positioned at the start (the caller closes it)."""
    if out is None:
        out = tempfile.TemporaryFile()  # noqa: SIM115  handed to the response, which closes it
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    text.flush()
    text.detach()
    out.seek(0)
    return out
