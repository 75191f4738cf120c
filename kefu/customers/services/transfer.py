"""Import and export of the archive (导入导出).

Import is two steps, so nothing is ever half done:

1. `start_import` stores the upload under DATA_DIR/imports (a generated name, never the user's),
   refuses what is not a readable spreadsheet (size, zip bomb, wrong type, unreadable encoding)
   and queues the dry run. `run_check` (a Huey task) reads every row, checks it with the rules of
   `profiles.create_customer` (a name; at least one contact point; each contact point normalised;
   no duplicate inside the file or against the archive) and stores the counts and the first 1,000
   rows with errors on the ImportJob. The rows that passed are kept beside the upload.
2. Only when the user confirms "import the N valid rows" does `run_import` (a Huey task) write them,
   all in one transaction: customers, contact points, tags and one timeline entry each, in batches
   of 1,000. A contact point taken by someone else since the check fails the whole import.

Export writes the list's rows (the same filters as the list page) to .xlsx or .csv, masks personal
data for those who may not see it in full, neutralises spreadsheet formulas and is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import tempfile
import unicodedata
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from huey.contrib.djhuey import db_task
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from kefu.accounts.audit import audit
from kefu.accounts.masking import PersonalKind, for_viewer
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.accounts.services import record_export
from kefu.core.errors import Conflict, DomainError, PermissionRefused
from kefu.core.events import DomainEvent, emit
from kefu.core.models import TimelineEntry
from kefu.core.spreadsheets import XLSX_CONTENT_TYPE, neutralise, write_xlsx
from kefu.core.statemachine import StateMachine, Transition, require_perm
from kefu.customers import identities, selectors
from kefu.customers.models import (
    ContactIdentity,
    Customer,
    Gender,
    IdentityKind,
    ImportJob,
    ImportStatus,
    Level,
    Source,
    Tag,
)
from kefu.customers.services.profiles import completeness_of

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 10_000
MAX_ROWS = 200_000
MAX_COLUMNS = 100  # columns beyond this are not offered for mapping
MAX_REPORTED_ROWS = 1_000
PROGRESS_EVERY = 500
BATCH_SIZE = 1_000
EXPORT_MAX_ROWS = 100_000
IMPORT_DIR_NAME = "imports"
RUNNING = frozenset({ImportStatus.CHECKING, ImportStatus.IMPORTING})


class ImportRefused(DomainError):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass(frozen=True)
class CustomersImported(DomainEvent):
    name: ClassVar[str] = "customers.imported"
    job_id: int
    count: int
    imported_by_id: int | None


# --- who may do what ------------------------------------------------------------------------------

IMPORT_FLOW = StateMachine(
    subject=gettext_lazy("import"),
    states=ImportStatus,
    transitions=[
        Transition("recheck", gettext_lazy("Check again"), source={ImportStatus.CHECKED, ImportStatus.FAILED},
                   target=ImportStatus.CHECKING, guard=require_perm(Perm.ASSIGN_WORK)),
        Transition("confirm", gettext_lazy("Import the valid rows"), source={ImportStatus.CHECKED},
                   target=ImportStatus.IMPORTING, guard=require_perm(Perm.ASSIGN_WORK)),
        Transition("cancel", gettext_lazy("Cancel the import"),
                   source={ImportStatus.CHECKING, ImportStatus.CHECKED, ImportStatus.FAILED},
                   target=ImportStatus.CANCELLED, guard=require_perm(Perm.ASSIGN_WORK)),
    ],
)


def sees_all_imports(user: User) -> bool:
    """Managers (who read what everyone did) see every import; others only their own."""
    return user.has_perm(Perm.VIEW_AUDIT_LOG)


def visible_import_jobs(user: User) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("created_by").order_by("-id")
    return qs if sees_all_imports(user) else qs.filter(created_by=user)


def access_import_job(*, actor: User, job_id: int, request=None) -> ImportJob:
    """The job if `actor` created it or is a manager; 404 (audited when it exists) otherwise."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise Http404
    if job.created_by_id != actor.pk and not sees_all_imports(actor):
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=job, request=request)
        raise Http404
    return job


def _require_import(actor: User) -> None:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("You do not have permission to do this."))


# --- columns --------------------------------------------------------------------------------------

CONTACT_FIELDS = ("mobile", "phone", "email", "wechat", "qq", "wangwang")
# The Customer columns a checked row fills (the rest take their defaults).
PROFILE_COLUMNS = ("name", "gender", "mobile", "mobile_last4", "phone", "email", "region", "city", "district", "street",
                   "address", "level", "member_no", "card_no", "source", "notes")
MULTI_COLUMN_FIELDS = frozenset({*CONTACT_FIELDS, "tags"})  # may come from several columns


@dataclass(frozen=True)
class Column:
    field: str
    label: Promise
    aliases: tuple[str, ...]
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("Name"), ("姓名", "名字", "客户姓名", "客户名称", "客户名", "联系人", "name", "fullname", "customer", "customername"), 60),
    Column("gender", gettext_lazy("Gender"), ("性别", "gender", "sex")),
    Column("mobile", gettext_lazy("Mobile"), ("手机", "手机号", "手机号码", "移动电话", "mobile", "mobilephone", "cellphone", "cell")),
    Column("phone", gettext_lazy("Landline"), ("电话", "座机", "固话", "固定电话", "电话号码", "联系电话", "landline", "phone", "telephone", "tel")),
    Column("email", gettext_lazy("E-mail"), ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "e-mail", "mail")),
    Column("wechat", gettext_lazy("WeChat"), ("微信", "微信号", "wechat", "weixin")),
    Column("qq", gettext_lazy("QQ"), ("qq", "qq号", "qq号码")),
    Column("wangwang", gettext_lazy("Wangwang"), ("旺旺", "旺旺号", "阿里旺旺", "wangwang")),
    Column("region", gettext_lazy("Province"), ("省", "省份", "省/自治区", "province", "region"), 20),
    Column("city", gettext_lazy("City"), ("市", "城市", "地市", "city"), 30),
    Column("district", gettext_lazy("District"), ("区", "区县", "县", "区/县", "县区", "district", "county"), 30),
    Column("street", gettext_lazy("Street"), ("街道", "乡镇", "街道/乡镇", "乡镇/街道", "street", "town"), 40),
    Column("address", pgettext_lazy("customer", "Address"), ("地址", "详细地址", "联系地址", "通讯地址", "address"), 200),
    Column("level", gettext_lazy("Membership level"), ("会员等级", "等级", "客户等级", "级别", "level", "membershiplevel")),
    Column("member_no", gettext_lazy("Membership card no."), ("会员卡号", "会员号", "会员编号", "membershipcardno", "memberno", "member_no"), 40),
    Column("card_no", gettext_lazy("Stored-value card no."), ("消费卡号", "储值卡号", "储值卡", "消费卡", "stored-valuecardno", "cardno", "card_no"), 40),
    Column("source", gettext_lazy("Source channel"), ("来源", "来源渠道", "渠道", "客户来源", "source", "sourcechannel")),
    Column("tags", gettext_lazy("Tags"), ("标签", "客户标签", "tags", "tag")),
    Column("notes", gettext_lazy("Notes"), ("备注", "说明", "notes", "note", "remark", "remarks", "comment"), 2000),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
CONTACT_KIND = {
    "mobile": IdentityKind.MOBILE, "phone": IdentityKind.PHONE, "email": IdentityKind.EMAIL,
    "wechat": IdentityKind.WECHAT, "qq": IdentityKind.QQ, "wangwang": IdentityKind.WANGWANG,
}
IDENTITY_MAX_LENGTH = ContactIdentity._meta.get_field("value").max_length
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
LANGUAGES_READ = ("zh-hans", "en")  # headers and choice words are recognised in both


def _header_key(text: str) -> str:
    """手机号码（必填）, ' Mobile * ', 'E-mail:' → comparable keys (手机号码, mobile, e-mail)."""
    key = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for marker in ("(必填)", "(选填)", "*", ":"):
        key = key.replace(marker, "")
    return "".join(key.split())


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for column in COLUMNS:
        names = list(column.aliases)
        for language in LANGUAGES_READ:
            with translation.override(language):
                names.append(str(column.label))
        for name in names:
            table.setdefault(_header_key(name), column.field)
    return table


def guess_mapping(header: list[str]) -> dict[str, str]:
    """{column index: field} from the header's names (Chinese or English). A field that takes one
    column is given to the first column that names it; contact points and tags may come from several
    columns (手机1, 手机2)."""
    table = _alias_table()
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, text in enumerate(header[:MAX_COLUMNS]):
        key = _header_key(text)
        target = table.get(key) or table.get(key.rstrip("0123456789"))
        if target is None or (target in used and target not in MULTI_COLUMN_FIELDS):
            continue
        mapping[str(index)] = target
        used.add(target)
    return mapping


def mapping_problem(mapping: dict[str, str]) -> str | None:
    """Why the mapping cannot be checked, or None."""
    counts: dict[str, int] = defaultdict(int)
    for index, target in mapping.items():
        if not str(index).isdigit() or int(index) >= MAX_COLUMNS:
            return _("Unknown column.")
        if target not in COLUMN_BY_FIELD:
            return _("Unknown field “%(field)s”.") % {"field": str(target)[:40]}
        counts[target] += 1
    for target, count in counts.items():
        if count > 1 and target not in MULTI_COLUMN_FIELDS:
            return _("“%(field)s” is chosen for more than one column; choose it once.") % {
                "field": COLUMN_BY_FIELD[target].label}
    if "name" not in counts:
        return _("No column holds the name. Choose the name column below and check again.")
    if not any(f in counts for f in CONTACT_FIELDS):
        return _("No column holds a contact point (mobile, landline, e-mail, WeChat, QQ or Wangwang). "
                 "Choose one below and check again.")
    return None


# --- files ----------------------------------------------------------------------------------------

def _import_dir() -> Path:
    folder = Path(settings.DATA_DIR) / IMPORT_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_file(job: ImportJob) -> Path:
    """The upload on disk. `stored_path` is relative to DATA_DIR and always generated by us."""
    return Path(settings.DATA_DIR) / job.stored_path


def _sidecar(job: ImportJob, suffix: str) -> Path:
    path = stored_file(job)
    return path.with_name(path.stem + suffix)


def _header_file(job: ImportJob) -> Path:
    return _sidecar(job, ".header.json")


def _valid_rows_file(job: ImportJob) -> Path:
    return _sidecar(job, ".valid.jsonl")


def _remove_files(job: ImportJob) -> None:
    for path in (stored_file(job), _header_file(job), _valid_rows_file(job)):
        path.unlink(missing_ok=True)


def header_of(job: ImportJob) -> dict | None:
    """{"header": [...], "samples": [[...], ...]} as the last check read it, or None."""
    try:
        return json.loads(_header_file(job).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _kind_of(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix in (".xlsx", ".csv"):
        return suffix
    if suffix in (".xls", ".et"):
        raise ImportRefused(_("Old .xls files cannot be read. Open the file in Excel, save it as .xlsx and upload that."))
    raise ImportRefused(_("Only .xlsx and .csv files can be imported. In Excel, use “Save as” and choose "
                          ".xlsx or “CSV UTF-8”."))


def _too_big() -> ImportRefused:
    return ImportRefused(_("The file is larger than 20 MB. Split it into smaller files and import them one by one."))


def _not_a_spreadsheet() -> ImportRefused:
    return ImportRefused(_("This file is not an Excel spreadsheet (.xlsx), though its name says so. "
                           "Open it in Excel and save it as .xlsx again."))


def inspect_xlsx(path: Path) -> None:
    """Refuse what is not an .xlsx, or what would unpack to far more than it weighs (a zip bomb),
    from the zip's directory alone: nothing is decompressed here. zipfile never inflates a member
    past its declared size, so the declared sizes bound what openpyxl will read."""
    if not zipfile.is_zipfile(path):
        raise _not_a_spreadsheet()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise _not_a_spreadsheet() from error
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if (len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_UNCOMPRESSED_BYTES
            or unpacked > MAX_COMPRESSION_RATIO * max(packed, 1)):
        raise ImportRefused(_("This file would unpack to far more data than a spreadsheet of its size holds "
                              "(a possible zip bomb), so it was refused. Save the sheet again as .xlsx."))
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _not_a_spreadsheet()


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GBK/GB18030.
    NUL characters are dropped; a file full of control characters is binary, not a CSV file."""
    if raw.startswith(b"PK\x03\x04"):
        raise ImportRefused(_("This is an Excel file, not a CSV file. Rename it to .xlsx, or save it again as “CSV UTF-8”."))
    encodings = ("utf-16",) if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        if len(CONTROL_CHARACTERS.findall(sample)) <= max(8, len(sample) // 100):
            return text.replace("\x00", "")
        break
    raise ImportRefused(_("The CSV file's characters could not be read. Save it as “CSV UTF-8” or as .xlsx and upload again."))


def inspect_csv(path: Path) -> None:
    _decode_csv(path.read_bytes())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 13800138000 typed as a number comes back as 13800138000.0
    elif isinstance(value, dt.datetime):
        value = value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return str(value).replace("\x00", "").strip()


def _unreadable() -> ImportRefused:
    return ImportRefused(_("The spreadsheet could not be read; it may be damaged. Open it in Excel, "
                           "save it again as .xlsx and upload that."))


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


def _xlsx_rows(path: Path) -> tuple[int | None, Iterator[list[str]]]:
    inspect_xlsx(path)
    try:
        reader = _SpreadsheetReader(path, read_only=True, data_only=True)
        reader.read()
        workbook = reader.wb
    except Exception as error:  # untrusted input: any parser failure is "cannot read"
        logger.info("import: %s is not a readable workbook: %r", path.name, error)
        raise _not_a_spreadsheet() from error
    sheets = workbook.worksheets
    if not sheets:
        workbook.close()
        raise ImportRefused(_empty_sheet())
    sheet = sheets[0]
    try:
        estimate = _estimated_rows(path, sheet)
    except (OSError, KeyError, zipfile.BadZipFile):
        estimate = None
    sheet.reset_dimensions()  # read every row whatever the dimension says

    def rows() -> Iterator[list[str]]:
        try:
            for row in sheet.iter_rows(values_only=True):
                yield [_cell_text(v) for v in row]
        except ImportRefused:
            raise
        except Exception as error:  # damaged XML inside the zip
            logger.info("import: %s failed while reading: %r", path.name, error)
            raise _unreadable() from error
        finally:
            workbook.close()

    return estimate, rows()


def _csv_rows(path: Path) -> tuple[int | None, Iterator[list[str]]]:
    text = _decode_csv(path.read_bytes())
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max([",", "\t", ";", "|"], key=lambda d: (first_line.count(d), d == ","))

    def rows() -> Iterator[list[str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for row in reader:
                yield [cell.strip() for cell in row]
        except csv.Error as error:
            raise ImportRefused(_("Row %(row)s could not be read: a cell is too long or a quote is not closed.")
                                % {"row": reader.line_num}) from error

    return max(text.count("\n") - 1, 0), rows()


def open_rows(path: Path) -> tuple[int | None, Iterator[list[str]]]:
    """(estimated data rows, the rows of the first sheet as text, header first)."""
    return _xlsx_rows(path) if path.suffix == ".xlsx" else _csv_rows(path)


def _empty_sheet() -> str:
    return _("The sheet is empty. Put the column names (name, mobile…) in the first row and one customer per row below.")


# --- upload ---------------------------------------------------------------------------------------

def start_import(*, actor: User, upload, language: str = "") -> ImportJob:
    """Store an uploaded file (anything with .name, .size and .chunks(), such as Django's
    UploadedFile) and queue its dry run. Refuses with ImportRefused before anything is kept."""
    _require_import(actor)
    file_name = Path(str(getattr(upload, "name", "") or "")).name[:200] or "upload"
    suffix = _kind_of(file_name)
    if (getattr(upload, "size", 0) or 0) > MAX_FILE_BYTES:
        raise _too_big()
    relative = f"{IMPORT_DIR_NAME}/{uuid.uuid4().hex}{suffix}"
    path = _import_dir() / Path(relative).name
    written = 0
    try:
        with path.open("xb") as out:
            for chunk in upload.chunks():
                written += len(chunk)
                if written > MAX_FILE_BYTES:  # the declared size may be wrong
                    raise _too_big()
                out.write(chunk)
        if written == 0:
            raise ImportRefused(_empty_sheet())
        if suffix == ".xlsx":
            inspect_xlsx(path)
        else:
            inspect_csv(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job = ImportJob.objects.create(created_by=actor, file_name=file_name, stored_path=relative,
                                   status=ImportStatus.CHECKING)
    check_import_task(job.pk, language or translation.get_language() or settings.LANGUAGE_CODE)
    return job


def remap_import(*, actor: User, job: ImportJob, mapping: dict[str, str], language: str = "") -> ImportJob:
    """Check the file again with the columns the user chose."""
    IMPORT_FLOW.check(job.status, "recheck", actor=actor, obj=job)
    mapping = {str(k): str(v) for k, v in mapping.items() if v}
    problem = mapping_problem(mapping)
    if problem:
        raise DomainError(problem)
    if not stored_file(job).exists():
        raise DomainError(_("The uploaded file is no longer available; upload it again."))
    _valid_rows_file(job).unlink(missing_ok=True)
    job = _move(job, "recheck", actor=actor, mapping=mapping, total_rows=0, processed_rows=0, valid_rows=0,
                error_rows=0, imported_rows=0, report=[], message="")
    check_import_task(job.pk, language or translation.get_language() or settings.LANGUAGE_CODE)
    return job


def confirm_import(*, actor: User, job: ImportJob, valid_rows: int, language: str = "", request=None) -> ImportJob:
    """The user confirmed "import the N valid rows"; N must be what the check found."""
    IMPORT_FLOW.check(job.status, "confirm", actor=actor, obj=job)
    if job.valid_rows == 0:
        raise DomainError(_("No row can be imported; correct the file and upload it again."))
    if valid_rows != job.valid_rows:
        raise Conflict(_("The check has changed since you looked at it; review the report and confirm again."))
    if not _valid_rows_file(job).exists():
        raise DomainError(_("The uploaded file is no longer available; upload it again."))
    job = _move(job, "confirm", actor=actor, processed_rows=0, message="")
    import_rows_task(job.pk, actor.pk, language or translation.get_language() or settings.LANGUAGE_CODE,
                     request.META.get("REMOTE_ADDR", "") if request is not None else "")
    job.refresh_from_db()
    return job


def cancel_import(*, actor: User, job: ImportJob) -> ImportJob:
    IMPORT_FLOW.check(job.status, "cancel", actor=actor, obj=job)
    job = _move(job, "cancel", actor=actor, message="")
    _remove_files(job)
    return job


def _move(job: ImportJob, name: str, *, actor: User, **changes) -> ImportJob:
    """Make the transition only if nobody moved the job meanwhile (two tabs, two people)."""
    transition = IMPORT_FLOW.check(job.status, name, actor=actor, obj=job)
    if not ImportJob.objects.filter(pk=job.pk, status=job.status).update(status=transition.target, **changes):
        raise Conflict(_("This import was changed meanwhile; reload the page."))
    job.refresh_from_db()
    return job


def _fail(job_id: int, message: str, *, from_status: str) -> None:
    ImportJob.objects.filter(pk=job_id, status=from_status).update(status=ImportStatus.FAILED, message=message[:300])


# --- checking rows --------------------------------------------------------------------------------

@dataclass
class CheckedRow:
    number: int  # the row number the user sees in Excel (the header is row 1)
    name: str
    errors: list[str] = field(default_factory=list)
    profile: dict[str, str] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    own_errors: bool = False  # errors in the row itself, before comparing with other rows


def _choice_table(choices: type, extra: dict[str, str]) -> dict[str, str]:
    table = {_header_key(k): v for k, v in extra.items()}
    for value, label in choices.choices:
        table[_header_key(value)] = value
        for language in LANGUAGES_READ:
            with translation.override(language):
                table[_header_key(str(label))] = value
    return table


def _split(text: str) -> list[str]:
    for separator in ("，", "；", ";", "、", "/", "|", "\n"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


class RowChecker:
    """Checks rows one at a time (the rules of profiles.create_customer), then a chunk of rows
    against each other and the archive (one query per kind of contact point per chunk)."""

    def __init__(self, mapping: dict[str, str]):
        self.columns: dict[str, list[int]] = defaultdict(list)
        for index, target in sorted(mapping.items(), key=lambda item: int(item[0])):
            self.columns[target].append(int(index))
        self.genders = _choice_table(Gender, {"男性": Gender.MALE, "先生": Gender.MALE, "m": Gender.MALE,
                                              "女性": Gender.FEMALE, "女士": Gender.FEMALE, "f": Gender.FEMALE,
                                              "保密": Gender.UNKNOWN})
        self.levels = _choice_table(Level, {"普通客户": Level.REGULAR, "贵宾": Level.VIP,
                                            "vip会员": Level.VIP, "vip客户": Level.VIP})
        self.sources = _choice_table(Source, {})
        self.seen: dict[tuple[str, str], int] = {}

    def _values(self, cells: list[str], target: str) -> list[str]:
        return [cells[i] for i in self.columns.get(target, ()) if i < len(cells) and cells[i]]

    def _text(self, cells: list[str], target: str) -> str:
        for i in self.columns.get(target, ()):
            if i < len(cells) and cells[i]:
                return cells[i]
        return ""

    def _choice(self, row: CheckedRow, cells, target: str, table: dict[str, str], choices, default: str) -> str:
        text = self._text(cells, target)
        if not text:
            return default
        value = table.get(_header_key(text))
        if value is None:
            row.errors.append(_("%(field)s “%(value)s” is not one of: %(choices)s.") % {
                "field": COLUMN_BY_FIELD[target].label, "value": _short(text),
                "choices": "、".join(str(label) for _value, label in choices.choices)})
            return default
        return value

    def check(self, number: int, cells: list[str]) -> CheckedRow:
        name = self._text(cells, "name")
        row = CheckedRow(number=number, name=name[:60])
        if not name:
            row.errors.append(_("The name is missing."))
        profile = {}
        for target in ("name", "region", "city", "district", "street", "address", "member_no", "card_no", "notes"):
            text = self._text(cells, target)
            column = COLUMN_BY_FIELD[target]
            if column.max_length and len(text) > column.max_length:
                row.errors.append(_("%(field)s is longer than %(max)s characters.") % {
                    "field": column.label, "max": column.max_length})
            profile[target] = text
        profile["gender"] = self._choice(row, cells, "gender", self.genders, Gender, Gender.UNKNOWN)
        profile["level"] = self._choice(row, cells, "level", self.levels, Level, Level.REGULAR)
        profile["source"] = self._choice(row, cells, "source", self.sources, Source, Source.IMPORT)
        contact_errors = False
        for target in CONTACT_FIELDS:
            for raw in (part for text in self._values(cells, target) for part in _split(text)):
                try:
                    kind, value = _normalise_contact(target, raw)
                except identities.InvalidIdentity as error:
                    row.errors.append(_("%(field)s: %(reason)s") % {"field": COLUMN_BY_FIELD[target].label, "reason": error})
                    contact_errors = True
                    continue
                if len(value) > IDENTITY_MAX_LENGTH:
                    row.errors.append(_("%(field)s is longer than %(max)s characters.") % {
                        "field": COLUMN_BY_FIELD[target].label, "max": IDENTITY_MAX_LENGTH})
                    contact_errors = True
                elif (kind, value) not in row.pairs:
                    row.pairs.append((kind, value))
        if not row.pairs and not contact_errors:
            row.errors.append(_("No way to reach the customer: fill in at least one of mobile, landline, e-mail, "
                                "WeChat, QQ or Wangwang."))
        for text in self._values(cells, "tags"):
            for tag in _split(text):
                if len(tag) > TAG_MAX_LENGTH:
                    row.errors.append(_("%(field)s is longer than %(max)s characters.") % {
                        "field": COLUMN_BY_FIELD["tags"].label, "max": TAG_MAX_LENGTH})
                elif tag not in row.tags:
                    row.tags.append(tag)
        first = {kind: value for kind, value in reversed(row.pairs)}  # the first of each kind
        profile["mobile"] = first.get(IdentityKind.MOBILE, "")
        profile["mobile_last4"] = profile["mobile"][-4:]
        profile["phone"] = first.get(IdentityKind.PHONE, "")
        profile["email"] = first.get(IdentityKind.EMAIL, "")
        row.profile = profile
        row.own_errors = bool(row.errors)
        return row

    def settle(self, rows: list[CheckedRow]) -> None:
        """Duplicates inside the file (the first importable row keeps the contact point) and against
        the archive. A row with errors of its own is told about these too, so one round of
        corrections is enough, but it does not keep a contact point from a later row."""
        for row in rows:
            for kind, value in row.pairs:
                key = (kind, value)
                first = self.seen.get(key) if row.own_errors else self.seen.setdefault(key, row.number)
                if first is not None and first != row.number:
                    row.errors.append(_("%(kind)s %(value)s is also on row %(row)s of this file.") % {
                        "kind": IdentityKind(kind).label, "value": value, "row": first})
        taken = taken_contact_points(pair for row in rows for pair in row.pairs)
        for row in rows:
            for pair in row.pairs:
                if pair in taken:
                    row.errors.append(_taken_message(pair, *taken[pair]))


def _normalise_contact(target: str, raw: str) -> tuple[str, str]:
    """(kind, normalised value). A mobile number in the landline column (联系电话 often holds one)
    is kept as a mobile, so it is found by its last four digits and shown as the customer's mobile."""
    kind = CONTACT_KIND[target]
    if kind == IdentityKind.PHONE:
        try:
            return IdentityKind.MOBILE, identities.normalise_mobile(raw)
        except identities.InvalidIdentity:
            pass
    return kind, identities.normalise(kind, raw)


def _taken_message(pair: tuple[str, str], customer_id: int, customer_name: str) -> str:
    kind, value = pair
    return _("%(kind)s %(value)s already belongs to customer “%(name)s” (no. %(id)s).") % {
        "kind": IdentityKind(kind).label, "value": value, "name": customer_name, "id": customer_id}


def taken_contact_points(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """Which of these contact points already belong to a customer: {(kind, value): (id, name)}."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in pairs:
        by_kind[kind].add(value)
    taken = {}
    for kind, values in by_kind.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            rows = (ContactIdentity.objects.filter(kind=kind, value__in=ordered[start:start + 500])
                    .values_list("value", "customer_id", "customer__name"))
            for value, customer_id, customer_name in rows:
                taken[(kind, value)] = (customer_id, customer_name)
    return taken


class _Stopped(Exception):
    """The job was cancelled or re-started while this run was working on it."""


@db_task()
def check_import_task(job_id: int, language: str = "") -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        run_check(job_id=job_id)


def run_check(*, job_id: int) -> None:
    """The dry run. Writes nothing but the job's report and the list of valid rows beside the file."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).first()
    if job is None:
        return
    try:
        _check(job)
    except _Stopped:
        return
    except ImportRefused as refused:
        _valid_rows_file(job).unlink(missing_ok=True)
        _fail(job.pk, refused.message, from_status=ImportStatus.CHECKING)
    except Exception:
        logger.exception("import %s: the check failed", job.pk)
        _valid_rows_file(job).unlink(missing_ok=True)
        _fail(job.pk, _("The check stopped because of an unexpected error; nothing was imported. Please try again."),
              from_status=ImportStatus.CHECKING)


def _check(job: ImportJob) -> None:
    path = stored_file(job)
    if not path.exists():
        raise ImportRefused(_("The uploaded file is no longer available; upload it again."))
    estimate, rows = open_rows(path)
    with closing(rows):
        header = next(rows, None)
        if not header or not any(header):
            raise ImportRefused(_empty_sheet())
        header = [h[:60] for h in header[:MAX_COLUMNS]]
        mapping = job.mapping or guess_mapping(header)
        ImportJob.objects.filter(pk=job.pk).update(mapping=mapping, total_rows=estimate or 0)
        samples: list[list[str]] = []
        _header_file(job).write_text(json.dumps({"header": header, "samples": samples}, ensure_ascii=False), encoding="utf-8")
        problem = mapping_problem(mapping)
        if problem:  # keep a few values to show beside the columns, so the user can choose
            for cells in rows:
                if any(cells):
                    samples.append(cells[:MAX_COLUMNS])
                if len(samples) == 3:
                    break
            _header_file(job).write_text(json.dumps({"header": header, "samples": samples}, ensure_ascii=False), encoding="utf-8")
            raise ImportRefused(problem)
        checker = RowChecker(mapping)
        counts = {"rows": 0, "valid": 0, "errors": 0}
        report: list[dict] = []
        valid_path = _valid_rows_file(job)

        def settle(chunk: list[CheckedRow], out) -> None:
            checker.settle(chunk)
            for row in chunk:
                if row.errors:
                    counts["errors"] += 1
                    if len(report) < MAX_REPORTED_ROWS:
                        report.append({"row": row.number, "name": row.name, "errors": row.errors})
                else:
                    counts["valid"] += 1
                    out.write(json.dumps({"row": row.number, "profile": row.profile, "pairs": row.pairs,
                                          "tags": row.tags}, ensure_ascii=False))
                    out.write("\n")
            total = max(estimate or 0, counts["rows"])
            if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
                    processed_rows=counts["rows"], total_rows=total):
                raise _Stopped

        with valid_path.open("w", encoding="utf-8") as out:
            chunk: list[CheckedRow] = []
            for number, cells in enumerate(rows, start=2):
                if not any(cells):
                    continue
                counts["rows"] += 1
                if counts["rows"] > MAX_ROWS:
                    raise ImportRefused(_("The file has more than 200,000 rows. Split it into smaller files "
                                          "and import them one by one."))
                if len(samples) < 3:
                    samples.append(cells[:MAX_COLUMNS])
                    if len(samples) == 3:
                        _header_file(job).write_text(json.dumps({"header": header, "samples": samples}, ensure_ascii=False), encoding="utf-8")
                chunk.append(checker.check(number, cells))
                if len(chunk) >= PROGRESS_EVERY:
                    settle(chunk, out)
                    chunk = []
            settle(chunk, out)
    _header_file(job).write_text(json.dumps({"header": header, "samples": samples}, ensure_ascii=False), encoding="utf-8")
    if counts["rows"] == 0:
        raise ImportRefused(_("The file has column names but no customer rows."))
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
        status=ImportStatus.CHECKED, total_rows=counts["rows"], processed_rows=counts["rows"],
        valid_rows=counts["valid"], error_rows=counts["errors"], report=report, message="")
    if not updated:
        raise _Stopped


# --- importing ------------------------------------------------------------------------------------

class _ImportConflict(DomainError):
    """Something changed in the archive between the check and the import."""


@db_task()
def import_rows_task(job_id: int, actor_id: int, language: str = "", ip_address: str = "") -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        run_import(job_id=job_id, actor_id=actor_id, ip_address=ip_address)


def run_import(*, job_id: int, actor_id: int, ip_address: str = "") -> None:
    """Write every row the check passed, in one transaction, or nothing."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).first()
    actor = User.objects.filter(pk=actor_id).first()
    if job is None:
        return
    try:
        with transaction.atomic():
            count = _write_rows(job, actor, ip_address=ip_address)
    except _ImportConflict as conflict:
        _fail(job.pk, conflict.message, from_status=ImportStatus.IMPORTING)
    except IntegrityError:  # a contact point taken by a concurrent save after our own re-check
        _fail(job.pk, _("A contact point in the file was just given to another customer. Nothing was imported; "
                        "check the file again."), from_status=ImportStatus.IMPORTING)
    except Exception:
        logger.exception("import %s: writing failed", job.pk)
        _fail(job.pk, _("The import stopped because of an unexpected error; nothing was imported. Please try again."),
              from_status=ImportStatus.IMPORTING)
    else:
        logger.info("import %s: %d customers imported", job.pk, count)
        _remove_files(job)


def _read_valid_rows(job: ImportJob) -> Iterator[dict]:
    with _valid_rows_file(job).open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _batches(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Table:
    """INSERTs for one model with every column's constant value prepared once, sent with
    executemany on SQLite and COPY on PostgreSQL.

    The import writes up to 200,000 customers with their contact points, tags and timeline entries.
    bulk_create prepares every field of every object through the ORM (about 0.3 ms a customer,
    measured; on SQLite it also sends only 34 customers per statement, and on PostgreSQL psycopg
    re-parses each long multi-row statement in Python); this writes the same rows several times
    faster. Columns are read from the model, so a new field with a default needs no change here, and
    a new field without one fails loudly (NOT NULL) rather than silently.
    """

    def __init__(self, model, *, now: dt.datetime, varying: tuple[str, ...], with_id: bool = False):
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.model = model
        self.columns = [f.column for f in fields]
        self.template: list[Any] = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()  # "" for text without a default, as the ORM would save
            self.template.append(None if f.primary_key else f.get_db_prep_save(value, connection))
        attnames = [f.attname for f in fields]
        self.position = {name: attnames.index(name) for name in varying}

    def set(self, **values) -> None:
        """The same value for every row."""
        for name, value in values.items():
            self.template[self.columns.index(self.model._meta.get_field(name).column)] = value

    def row(self, **values) -> list[Any]:
        """`values` must be ready for the database: text, numbers, None (not model instances)."""
        row = list(self.template)
        for name, value in values.items():
            row[self.position[name]] = value
        return row

    def insert(self, rows: list[list[Any]]) -> None:
        if not rows:
            return
        quote = connection.ops.quote_name
        table, columns = quote(self.model._meta.db_table), ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if hasattr(cursor.cursor, "copy"):  # psycopg 3 on PostgreSQL: COPY, twice as fast again
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(self.columns))})",  # noqa: S608  names from the model
                                   rows)


def _new_ids(model, count: int) -> list[int]:
    """`count` fresh primary keys for `model`. Call inside the import's transaction."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the column's own sequence: safe with concurrent inserts
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction began IMMEDIATE, so it holds the write lock and nobody else takes
        # ids meanwhile. AUTOINCREMENT never reuses an id, so start after the largest ever given.
        cursor.execute(f"SELECT MAX(id) FROM {quote(table)}")  # noqa: S608  name from the model
        largest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        given = cursor.fetchone()
        start = max(largest, given[0] if given else 0) + 1
    return list(range(start, start + count))


def _write_rows(job: ImportJob, actor: User | None, *, ip_address: str) -> int:
    """Call inside a transaction. Raises _ImportConflict (nothing written) if the archive changed."""
    if actor is None or not actor.has_perm(Perm.ASSIGN_WORK):
        raise _ImportConflict(_("You do not have permission to do this."))
    now = timezone.now()
    customers = _Table(Customer, now=now, varying=("id", *PROFILE_COLUMNS, "completeness"), with_id=True)
    customers.set(created_by=actor.pk)
    contact_points = _Table(ContactIdentity, now=now, varying=("customer_id", "kind", "value"))
    tag_links = _Table(Customer.tags.through, now=now, varying=("customer_id", "tag_id"))
    timeline = _Table(TimelineEntry, now=now, varying=("customer_id", "subject_id", "data"))
    timeline.set(kind="customers.imported", actor=actor.pk, subject_type=ContentType.objects.get_for_model(Customer).pk,
                 summary=(_("Imported from the file %(file)s") % {"file": job.file_name})[:300])
    data_field = TimelineEntry._meta.get_field("data")
    tag_ids: dict[str, int] = {}
    count = 0
    for batch in _batches(_read_valid_rows(job), BATCH_SIZE):
        pairs = [tuple(pair) for item in batch for pair in item["pairs"]]
        taken = taken_contact_points(pairs)
        if taken:
            for item in batch:
                for pair in map(tuple, item["pairs"]):
                    if pair in taken:
                        raise _ImportConflict(
                            _("Since the check, row %(row)s changed: %(reason)s Nothing was imported; check the file "
                              "again to see which rows can still be imported.")
                            % {"row": item["row"], "reason": _taken_message(pair, *taken[pair])})
        ids = _new_ids(Customer, len(batch))
        customers.insert([
            customers.row(id=pk, **item["profile"], completeness=completeness_of(SimpleNamespace(**item["profile"])))
            for pk, item in zip(ids, batch, strict=True)])
        contact_points.insert([contact_points.row(customer_id=pk, kind=kind, value=value)
                               for pk, item in zip(ids, batch, strict=True) for kind, value in item["pairs"]])
        wanted = {tag for item in batch for tag in item["tags"]} - tag_ids.keys()
        if wanted:
            tag_ids.update(Tag.objects.filter(name__in=wanted).values_list("name", "id"))
            missing = [Tag(name=name) for name in sorted(wanted - tag_ids.keys())]
            Tag.objects.bulk_create(missing)
            tag_ids.update((tag.name, tag.pk) for tag in missing)
        tag_links.insert([tag_links.row(customer_id=pk, tag_id=tag_ids[tag])
                          for pk, item in zip(ids, batch, strict=True) for tag in item["tags"]])
        timeline.insert([timeline.row(customer_id=pk, subject_id=str(pk),
                                      data=data_field.get_db_prep_save({"import_job": job.pk, "row": item["row"]}, connection))
                         for pk, item in zip(ids, batch, strict=True)])
        count += len(ids)
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).update(
        status=ImportStatus.DONE, imported_rows=count, processed_rows=count, message="")
    if not updated:
        raise _ImportConflict(_("This import was changed meanwhile; reload the page."))
    # The audit row takes the address from a request; the confirming request's is passed along.
    origin = SimpleNamespace(META={"REMOTE_ADDR": ip_address}) if ip_address else None
    audit(AuditAction.IMPORT, actor=actor, obj=job, object_repr=job.file_name, request=origin,
          details={"rows": count, "skipped": job.error_rows})
    emit(CustomersImported(job_id=job.pk, count=count, imported_by_id=actor.pk))
    return count


# --- export ---------------------------------------------------------------------------------------

def _phone_shown(value: str, kind: PersonalKind, viewer: User) -> str:
    return for_viewer(identities.display_phone(value) if value else "", kind, viewer=viewer, full=True)


EXPORT_COLUMNS: tuple[tuple[Promise, Any], ...] = (
    (gettext_lazy("Customer no."), lambda c, v, ids: c.pk),
    (gettext_lazy("Name"), lambda c, v, ids: c.name),
    (gettext_lazy("Gender"), lambda c, v, ids: c.get_gender_display()),
    (gettext_lazy("Mobile"), lambda c, v, ids: _phone_shown(c.mobile, PersonalKind.MOBILE, v)),
    (gettext_lazy("Landline"), lambda c, v, ids: _phone_shown(c.phone, PersonalKind.PHONE, v)),
    (gettext_lazy("E-mail"), lambda c, v, ids: for_viewer(c.email, PersonalKind.EMAIL, viewer=v, full=True)),
    (gettext_lazy("WeChat"), lambda c, v, ids: ids.get(IdentityKind.WECHAT, "")),
    (gettext_lazy("QQ"), lambda c, v, ids: ids.get(IdentityKind.QQ, "")),
    (gettext_lazy("Wangwang"), lambda c, v, ids: ids.get(IdentityKind.WANGWANG, "")),
    (gettext_lazy("Province"), lambda c, v, ids: c.region),
    (gettext_lazy("City"), lambda c, v, ids: c.city),
    (gettext_lazy("District"), lambda c, v, ids: c.district),
    (gettext_lazy("Street"), lambda c, v, ids: c.street),
    (pgettext_lazy("customer", "Address"), lambda c, v, ids: c.address),
    (gettext_lazy("Membership level"), lambda c, v, ids: c.get_level_display()),
    (gettext_lazy("Membership card no."), lambda c, v, ids: c.member_no),
    (gettext_lazy("Stored-value card no."), lambda c, v, ids: c.card_no),
    (gettext_lazy("Source channel"), lambda c, v, ids: c.get_source_display()),
    (gettext_lazy("Tags"), lambda c, v, ids: ", ".join(t.name for t in c.tags.all())),
    (gettext_lazy("Owner agent"), lambda c, v, ids: str(c.owner) if c.owner_id else ""),
    (gettext_lazy("Completeness"), lambda c, v, ids: c.completeness),
    (gettext_lazy("Notes"), lambda c, v, ids: c.notes),
    (gettext_lazy("Created at"), lambda c, v, ids: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
)
EXPORT_FILTERS = ("q", "tag", "level", "region", "city", "district", "owner_id", "unassigned")


@dataclass
class ExportFile:
    file: Any  # an open binary file, positioned at the start
    file_name: str
    content_type: str
    rows: int


def _export_cells(customer: Customer, viewer: User) -> list:
    handles = {}
    for identity in customer.identities.all():  # prefetched: instant-messaging accounts, oldest first
        handles.setdefault(identity.kind, identity.value)
    cells = []
    for _label, getter in EXPORT_COLUMNS:
        value = getter(customer, viewer, handles)
        cells.append(value if isinstance(value, int) else neutralise(str(value or "")))
    return cells


def export_customers(*, actor: User, filters: dict, fmt: str = "xlsx", request=None) -> ExportFile:
    """The list's customers (the same filters as the list page), masked for `actor`, as a file.

    Refuses more than EXPORT_MAX_ROWS rows: one export must stay a file a person can open."""
    if not actor.has_perm(Perm.EXPORT_DATA):
        raise PermissionRefused(_("You do not have permission to do this."))
    filters = {k: v for k, v in filters.items() if k in EXPORT_FILTERS and v}
    qs = selectors.search_customers(actor=actor, **filters)
    rows = qs.order_by().values("pk")[: EXPORT_MAX_ROWS + 1].count()
    if rows > EXPORT_MAX_ROWS:
        raise DomainError(_("The list has more than %(max)s customers; narrow it with the filters (city, level, tag…) "
                            "and export each part.") % {"max": f"{EXPORT_MAX_ROWS:,}"})
    record_export(actor=actor, what="customers", rows=rows, request=request,
                  filters={k: str(v) for k, v in filters.items()})
    qs = qs[:EXPORT_MAX_ROWS].prefetch_related(
        "tags",
        Prefetch("identities", queryset=ContactIdentity.objects.filter(
            Q(kind__in=[IdentityKind.WECHAT, IdentityKind.QQ, IdentityKind.WANGWANG])).order_by("id")),
    )
    header = [str(label) for label, _getter in EXPORT_COLUMNS]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    file_stem = _("customers") + "-" + stamp
    if fmt == "csv":
        out = tempfile.TemporaryFile()  # noqa: SIM115  handed to the response, which closes it
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for customer in qs.iterator(chunk_size=2000):
            writer.writerow(_export_cells(customer, actor))
        text.flush()
        text.detach()
        content_type, suffix = "text/csv; charset=utf-8", ".csv"
    else:
        out = write_xlsx(title=str(_("Customers")), header=header,
                         rows=(_export_cells(c, actor) for c in qs.iterator(chunk_size=2000)))
        content_type, suffix = XLSX_CONTENT_TYPE, ".xlsx"
    out.seek(0)
    return ExportFile(file=out, file_name=file_stem + suffix, content_type=content_type, rows=rows)
