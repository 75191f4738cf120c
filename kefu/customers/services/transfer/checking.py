"""Checking rows (the dry run): each row with the rules of `profiles.create_customer` (a name; at
least one contact point; each contact point normalised), then each chunk of rows against each other
and the archive. Writes nothing but the job's counts and report and the rows that passed."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.customers import identities
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
from kefu.customers.services.transfer.columns import (
    COLUMN_BY_FIELD,
    CONTACT_FIELDS,
    CONTACT_KIND,
    LANGUAGES_READ,
    MAX_COLUMNS,
    guess_mapping,
    header_key,
    mapping_problem,
)
from kefu.customers.services.transfer.files import (
    pairs_file,
    stored_file,
    valid_rows_file,
    write_header,
)
from kefu.customers.services.transfer.readers import ImportRefused, empty_sheet, open_rows

MAX_ROWS = 200_000
MAX_REPORTED_ROWS = 1_000
PROGRESS_EVERY = 1_000  # rows checked between two progress updates (and archive look-ups)


def _max_length(model: type[models.Model], name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    assert isinstance(length, int), (model, name)  # a CharField's
    return length


IDENTITY_MAX_LENGTH = _max_length(ContactIdentity, "value")
TAG_MAX_LENGTH = _max_length(Tag, "name")
# Values per archive look-up: PostgreSQL takes them as one array; SQLite as that many parameters.
LOOKUP_SIZE = {"postgresql": 2_000}
LOOKUP_SIZE_DEFAULT = 500


@dataclass
class CheckedRow:
    number: int  # the row number the user sees in Excel (the header is row 1)
    name: str
    errors: list[str] = field(default_factory=list)
    profile: dict[str, str] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    own_errors: bool = False  # errors in the row itself, before comparing with other rows


def _choice_table(choices: type[models.Choices], extra: dict[str, str]) -> dict[str, str]:
    table = {header_key(k): v for k, v in extra.items()}
    for value, label in choices.choices:
        table[header_key(value)] = value
        for language in LANGUAGES_READ:
            with translation.override(language):
                table[header_key(str(label))] = value
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
        self.genders = _choice_table(
            Gender,
            {
                "男性": Gender.MALE,
                "先生": Gender.MALE,
                "m": Gender.MALE,
                "女性": Gender.FEMALE,
                "女士": Gender.FEMALE,
                "f": Gender.FEMALE,
                "保密": Gender.UNKNOWN,
            },
        )
        self.levels = _choice_table(
            Level,
            {
                "普通客户": Level.REGULAR,
                "贵宾": Level.VIP,
                "vip会员": Level.VIP,
                "vip客户": Level.VIP,
            },
        )
        self.sources = _choice_table(Source, {})
        self.seen: dict[tuple[str, str], int] = {}

    def _values(self, cells: list[str], target: str) -> list[str]:
        return [cells[i] for i in self.columns.get(target, ()) if i < len(cells) and cells[i]]

    def _text(self, cells: list[str], target: str) -> str:
        for i in self.columns.get(target, ()):
            if i < len(cells) and cells[i]:
                return cells[i]
        return ""

    def _choice(
        self, row: CheckedRow, cells, target: str, table: dict[str, str], choices, default: str
    ) -> str:
        text = self._text(cells, target)
        if not text:
            return default
        value = table.get(header_key(text))
        if value is None:
            row.errors.append(
                _("%(field)s “%(value)s” is not one of: %(choices)s.")
                % {
                    "field": COLUMN_BY_FIELD[target].label,
                    "value": _short(text),
                    "choices": "、".join(str(label) for _value, label in choices.choices),
                }
            )
            return default
        return value

    def check(self, number: int, cells: list[str]) -> CheckedRow:
        name = self._text(cells, "name")
        row = CheckedRow(number=number, name=name[:60])
        if not name:
            row.errors.append(_("The name is missing."))
        profile = {}
        for target in (
            "name",
            "region",
            "city",
            "district",
            "street",
            "address",
            "member_no",
            "card_no",
            "notes",
        ):
            text = self._text(cells, target)
            column = COLUMN_BY_FIELD[target]
            if column.max_length and len(text) > column.max_length:
                row.errors.append(
                    _("%(field)s is longer than %(max)s characters.")
                    % {"field": column.label, "max": column.max_length}
                )
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
                    row.errors.append(
                        _("%(field)s: %(reason)s")
                        % {"field": COLUMN_BY_FIELD[target].label, "reason": error}
                    )
                    contact_errors = True
                    continue
                if len(value) > IDENTITY_MAX_LENGTH:
                    row.errors.append(
                        _("%(field)s is longer than %(max)s characters.")
                        % {"field": COLUMN_BY_FIELD[target].label, "max": IDENTITY_MAX_LENGTH}
                    )
                    contact_errors = True
                elif (kind, value) not in row.pairs:
                    row.pairs.append((kind, value))
        if not row.pairs and not contact_errors:
            row.errors.append(
                _(
                    "No way to reach the customer: fill in at least one of mobile, landline, e-mail, "
                    "WeChat, QQ or Wangwang."
                )
            )
        for text in self._values(cells, "tags"):
            for tag in _split(text):
                if len(tag) > TAG_MAX_LENGTH:
                    row.errors.append(
                        _("%(field)s is longer than %(max)s characters.")
                        % {"field": COLUMN_BY_FIELD["tags"].label, "max": TAG_MAX_LENGTH}
                    )
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
                first = (
                    self.seen.get(key) if row.own_errors else self.seen.setdefault(key, row.number)
                )
                if first is not None and first != row.number:
                    row.errors.append(
                        _("%(kind)s %(value)s is also on row %(row)s of this file.")
                        % {"kind": IdentityKind(kind).label, "value": value, "row": first}
                    )
        taken = taken_contact_points(pair for row in rows for pair in row.pairs)
        for row in rows:
            for pair in row.pairs:
                if pair in taken:
                    row.errors.append(taken_message(pair, *taken[pair]))


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


def taken_message(pair: tuple[str, str], customer_id: int, customer_name: str) -> str:
    kind, value = pair
    return _("%(kind)s %(value)s already belongs to customer “%(name)s” (no. %(id)s).") % {
        "kind": IdentityKind(kind).label,
        "value": value,
        "name": customer_name,
        "id": customer_id,
    }


def taken_contact_points(
    pairs: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], tuple[int, str]]:
    """Which of these contact points already belong to a customer: {(kind, value): (id, name)}.

    One query per kind and up to LOOKUP_SIZE values, in SQL: the ORM prepared each of the values
    one by one (a tenth of an import's time), and on PostgreSQL the values go as one array
    parameter (`= ANY(%s)`) instead of an IN list the client parses and the server plans each time."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in pairs:
        by_kind[kind].add(value)
    taken = {}
    identities_table = connection.ops.quote_name(ContactIdentity._meta.db_table)
    customers_table = connection.ops.quote_name(Customer._meta.db_table)
    size = LOOKUP_SIZE.get(connection.vendor, LOOKUP_SIZE_DEFAULT)
    for kind, values in by_kind.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), size):
            part = ordered[start : start + size]
            params: list[Any]
            if connection.vendor == "postgresql":
                condition, params = "i.value = ANY(%s)", [kind, part]
            else:
                condition = f"i.value IN ({', '.join(['%s'] * len(part))})"
                params = [kind, *part]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT i.value, i.customer_id, c.name FROM {identities_table} i "  # noqa: S608  names from the models
                    f"JOIN {customers_table} c ON c.id = i.customer_id "
                    f"WHERE i.kind = %s AND {condition}",
                    params,
                )
                rows = cursor.fetchall()
            for value, customer_id, customer_name in rows:
                taken[(kind, value)] = (customer_id, customer_name)
    return taken


class Stopped(Exception):
    """The job was cancelled or re-started while this run was working on it."""


def check_file(job: ImportJob) -> None:
    """The dry run over the whole file: the job's counts and report, the rows that passed beside the
    upload. Raises ImportRefused (the file as a whole cannot be imported) or Stopped."""
    path = stored_file(job)
    if not path.exists():
        raise ImportRefused(_("The uploaded file is no longer available; upload it again."))
    estimate, rows = open_rows(path)
    with closing(rows):
        header = next(rows, None)
        if not header or not any(header):
            raise ImportRefused(empty_sheet())
        header = [h[:60] for h in header[:MAX_COLUMNS]]
        mapping = job.mapping or guess_mapping(header)
        ImportJob.objects.filter(pk=job.pk).update(mapping=mapping, total_rows=estimate or 0)
        samples: list[list[str]] = []
        write_header(job, header, samples)
        problem = mapping_problem(mapping)
        if problem:  # keep a few values to show beside the columns, so the user can choose
            for cells in rows:
                if any(cells):
                    samples.append(cells[:MAX_COLUMNS])
                if len(samples) == 3:
                    break
            write_header(job, header, samples)
            raise ImportRefused(problem)
        checker = RowChecker(mapping)
        counts = {"rows": 0, "valid": 0, "errors": 0}
        report: list[dict] = []
        valid_path = valid_rows_file(job)

        def settle(chunk: list[CheckedRow], out, pairs_out) -> None:
            checker.settle(chunk)
            for row in chunk:
                if row.errors:
                    counts["errors"] += 1
                    if len(report) < MAX_REPORTED_ROWS:
                        report.append({"row": row.number, "name": row.name, "errors": row.errors})
                else:
                    counts["valid"] += 1
                    out.write(
                        json.dumps(
                            {
                                "row": row.number,
                                "profile": row.profile,
                                "pairs": row.pairs,
                                "tags": row.tags,
                            },
                            ensure_ascii=False,
                        )
                    )
                    out.write("\n")
                    pairs_out.writelines(f"{row.number}\t{k}\t{v}\n" for k, v in row.pairs)
            total = max(estimate or 0, counts["rows"])
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Progress only: a commit that need not wait for the disk (a crash loses at
                    # most a progress figure), where waiting took a fifth of the dry run.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                moved = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
                    processed_rows=counts["rows"], total_rows=total
                )
            if not moved:
                raise Stopped

        with (
            valid_path.open("w", encoding="utf-8") as out,
            pairs_file(job).open("w", encoding="utf-8") as pairs_out,
        ):
            chunk: list[CheckedRow] = []
            for number, cells in enumerate(rows, start=2):
                if not any(cells):
                    continue
                counts["rows"] += 1
                if counts["rows"] > MAX_ROWS:
                    raise ImportRefused(
                        _(
                            "The file has more than 200,000 rows. Split it into smaller files "
                            "and import them one by one."
                        )
                    )
                if len(samples) < 3:
                    samples.append(cells[:MAX_COLUMNS])
                    if len(samples) == 3:
                        write_header(job, header, samples)
                chunk.append(checker.check(number, cells))
                if len(chunk) >= PROGRESS_EVERY:
                    settle(chunk, out, pairs_out)
                    chunk = []
            settle(chunk, out, pairs_out)
    write_header(job, header, samples)
    if counts["rows"] == 0:
        raise ImportRefused(_("The file has column names but no customer rows."))
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKING).update(
        status=ImportStatus.CHECKED,
        total_rows=counts["rows"],
        processed_rows=counts["rows"],
        valid_rows=counts["valid"],
        error_rows=counts["errors"],
        report=report,
        message="",
    )
    if not updated:
        raise Stopped


# --- importing ------------------------------------------------------------------------------------
