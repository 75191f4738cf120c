"""Reading an exported file back as a spreadsheet program would, for the export tests of every app."""

from __future__ import annotations

import csv
import io
import re

import openpyxl

from conftest import HOSTILE_CONTROL_STRINGS, HOSTILE_STRINGS

# Every hostile string an export must write as inert text.
HOSTILE_EXPORT_STRINGS = [*HOSTILE_STRINGS, *HOSTILE_CONTROL_STRINGS]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def inert(text: str) -> str:
    """What a cell holding `text` must show: control characters dropped, then a leading apostrophe
    if what is left would start a formula."""
    stripped = _CONTROL.sub("", text)
    return "'" + stripped if stripped.startswith(("=", "+", "-", "@", "\t", "\r")) else stripped


def body(response) -> bytes:
    """The file's bytes; a streaming response is read once and kept, so it can be read again."""
    if not response.streaming:
        return response.content
    if not hasattr(response, "_test_body"):
        response._test_body = b"".join(response.streaming_content)
    return response._test_body


def xlsx_workbook(response_or_bytes):
    """The workbook as written (formulas kept as formulas, not their cached values)."""
    raw = response_or_bytes if isinstance(response_or_bytes, bytes) else body(response_or_bytes)
    return openpyxl.load_workbook(io.BytesIO(raw), data_only=False)


def xlsx_rows(response_or_bytes) -> list[list]:
    sheet = xlsx_workbook(response_or_bytes).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def formula_cells(response_or_bytes) -> list[str]:
    """Every cell a spreadsheet program would run: openpyxl reads them as data type "f"."""
    found = []
    for sheet in xlsx_workbook(response_or_bytes).worksheets:
        for row in sheet.iter_rows():
            found += [f"{c.coordinate}={c.value!r}" for c in row if c.data_type == "f"]
    return found


def csv_rows(response_or_bytes) -> list[list[str]]:
    raw = response_or_bytes if isinstance(response_or_bytes, bytes) else body(response_or_bytes)
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
