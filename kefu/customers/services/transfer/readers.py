"""Reading an uploaded file: refuse what is not a readable spreadsheet (zip bombs, wrong types,
unreadable encodings), then give its first sheet's rows as text, header first."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from kefu.core.errors import DomainError
from kefu.core.text import strip_control_characters

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 10_000


class ImportRefused(DomainError):
    """The file cannot be imported at all; the message says why and what to do."""


def not_a_spreadsheet() -> ImportRefused:
    return ImportRefused(
        _(
            "This file is not an Excel spreadsheet (.xlsx), though its name says so. "
            "Open it in Excel and save it as .xlsx again."
        )
    )


def empty_sheet() -> str:
    return _(
        "The sheet is empty. Put the column names (name, mobile…) in the first row and one customer per row below."
    )


def inspect_xlsx(path: Path) -> None:
    """Refuse what is not an .xlsx, or what would unpack to far more than it weighs (a zip bomb),
    from the zip's directory alone: nothing is decompressed here. zipfile never inflates a member
    past its declared size, so the declared sizes bound what openpyxl will read."""
    if not zipfile.is_zipfile(path):
        raise not_a_spreadsheet()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise not_a_spreadsheet() from error
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if (
        len(members) > MAX_ZIP_MEMBERS
        or unpacked > MAX_UNCOMPRESSED_BYTES
        or unpacked > MAX_COMPRESSION_RATIO * max(packed, 1)
    ):
        raise ImportRefused(
            _(
                "This file would unpack to far more data than a spreadsheet of its size holds "
                "(a possible zip bomb), so it was refused. Save the sheet again as .xlsx."
            )
        )
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise not_a_spreadsheet()


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GBK/GB18030.
    Control characters are dropped (kefu/core/text.py); a file full of them is binary, not a CSV file."""
    if raw.startswith(b"PK\x03\x04"):
        raise ImportRefused(
            _(
                "This is an Excel file, not a CSV file. Rename it to .xlsx, or save it again as “CSV UTF-8”."
            )
        )
    encodings = (
        ("utf-16",) if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "gb18030")
    )
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        if len(CONTROL_CHARACTERS.findall(sample)) <= max(8, len(sample) // 100):
            return strip_control_characters(text)
        break
    raise ImportRefused(
        _(
            "The CSV file's characters could not be read. Save it as “CSV UTF-8” or as .xlsx and upload again."
        )
    )


def inspect_csv(path: Path) -> None:
    decode_csv(path.read_bytes())


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13800138000 typed as a number comes back as 13800138000.0
    elif isinstance(value, dt.datetime):
        value = (
            value.strftime("%Y-%m-%d %H:%M")
            if (value.hour, value.minute) != (0, 0)
            else value.date().isoformat()
        )
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return strip_control_characters(str(value)).strip()


def _unreadable() -> ImportRefused:
    return ImportRefused(
        _(
            "The spreadsheet could not be read; it may be damaged. Open it in Excel, "
            "save it again as .xlsx and upload that."
        )
    )


class _SpreadsheetReader(ExcelReader):
    """openpyxl's own read-only reader, with a quicker shared-string table: the stock one builds a
    rich-text object per string (about 30 µs each, measured), and a 100,000-row sheet saved by
    Excel or WPS holds a few hundred thousand strings."""

    def read_strings(self):
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        with self.archive.open(part.PartName[1:]) as source:
            self.shared_strings = _read_shared_strings(source)


def _read_shared_strings(source) -> list[str]:
    """Each <si>'s text without formatting or phonetic runs, as openpyxl's Text.content gives it."""
    si, t, r = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"
    strings = []
    for _event, node in iterparse(source):
        if node.tag == si:
            parts = [child.text or "" for child in node if child.tag == t]
            parts += [run.findtext(t) or "" for run in node if run.tag == r]
            strings.append("".join(parts).replace("x005F_", ""))
            node.clear()
    return strings


def _estimated_rows(path: Path, sheet) -> int | None:
    """Data rows as the sheet's <dimension> says, read from the head of its XML only (openpyxl
    would read the whole sheet when the element is missing)."""
    member = getattr(sheet, "_worksheet_path", None)
    if not member:
        return None
    with zipfile.ZipFile(path) as archive, archive.open(member) as xml:
        head = xml.read(4096)
    match = re.search(rb'<(?:\w+:)?dimension ref="[A-Z]+[0-9]+:[A-Z]+([0-9]+)"', head)
    return int(match.group(1)) - 1 if match else None


def _xlsx_rows(path: Path) -> tuple[int | None, Generator[list[str], None, None]]:
    inspect_xlsx(path)
    try:
        reader = _SpreadsheetReader(path, read_only=True, data_only=True)
        reader.read()
        workbook = reader.wb
    except Exception as error:  # untrusted input: any parser failure is "cannot read"
        logger.info("import: %s is not a readable workbook: %r", path.name, error)
        raise not_a_spreadsheet() from error
    sheets = workbook.worksheets
    if not sheets:
        workbook.close()
        raise ImportRefused(empty_sheet())
    sheet = sheets[0]
    try:
        estimate = _estimated_rows(path, sheet)
    except (OSError, KeyError, zipfile.BadZipFile):
        estimate = None
    sheet.reset_dimensions()  # read every row whatever the dimension says

    def rows() -> Generator[list[str], None, None]:
        try:
            for row in sheet.iter_rows(values_only=True):
                yield [cell_text(v) for v in row]
        except ImportRefused:
            raise
        except Exception as error:  # damaged XML inside the zip
            logger.info("import: %s failed while reading: %r", path.name, error)
            raise _unreadable() from error
        finally:
            workbook.close()

    return estimate, rows()


def _csv_rows(path: Path) -> tuple[int | None, Generator[list[str], None, None]]:
    text = decode_csv(path.read_bytes())
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max([",", "\t", ";", "|"], key=lambda d: (first_line.count(d), d == ","))

    def rows() -> Generator[list[str], None, None]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for row in reader:
                yield [cell.strip() for cell in row]
        except csv.Error as error:
            raise ImportRefused(
                _("Row %(row)s could not be read: a cell is too long or a quote is not closed.")
                % {"row": reader.line_num}
            ) from error

    return max(text.count("\n") - 1, 0), rows()


def open_rows(path: Path) -> tuple[int | None, Generator[list[str], None, None]]:
    """(estimated data rows, the rows of the first sheet as text, header first)."""
    return _xlsx_rows(path) if path.suffix == ".xlsx" else _csv_rows(path)
