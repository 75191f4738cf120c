"""The one export service. Every file a user downloads from a list or a report is asked for here,
so every export answers the same way:

- permission: the export right (EXPORT_DATA) and the rights to see the data (the kind's
  `view_perms`); a refusal is the same 403 and the same audit entry for every export;
- masking: personal columns are masked in every export by default, as on the pages; a full-value
  export is a separate, explicit choice: its own right (EXPORT_PERSONAL_DATA), a required reason and
  a confirmation;
- formula-safe writing through core.spreadsheets (.xlsx or .csv);
- audit: one `export` entry with the filters, the row count, the format, and for a full-value export
  the reason and the number of personal values revealed;
- size: up to INLINE_MAX_ROWS rows the file is built while the user waits; more are built in the
  background (Huey) with progress shown, and kept for the owner alone to download.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.core.errors import DomainError
from kefu.exports.building import (
    CONTENT_TYPES,
    file_name_for,
    may_export,
    record_export,
    refusal,
    write_export,
)
from kefu.exports.models import ExportJob
from kefu.exports.registry import ExportKind, Prepared, get_kind
from kefu.exports.tasks import build_export_task

INLINE_MAX_ROWS = 1_000
REASON_MAX_LENGTH = 200


@dataclass
class ExportFile:
    file: Any  # an open binary file, positioned at the start
    file_name: str
    content_type: str
    rows: int


def kind_named(name: str) -> ExportKind:
    kind = get_kind(name)
    if kind is None:
        raise DomainError(_("There is no such export."))
    return kind


def check_export(
    *, actor: User, kind: ExportKind, full: bool = False, filters=None, request=None
) -> None:
    """Refuse (403, audited) unless `actor` may make this export."""
    if not may_export(actor, kind, full=full):
        audit(
            AuditAction.ACCESS_DENIED,
            actor=actor,
            request=request,
            object_type=kind.name,
            object_repr=str(kind.label),
            details={"export": True, "full_values": full, "filters": filters or {}},
        )
        raise refusal()


def prepare_export(
    *, actor: User, kind: ExportKind, filters: dict[str, Any], full: bool = False, request=None
) -> Prepared:
    """Checked and counted, not written: what the full-value confirmation page shows."""
    check_export(actor=actor, kind=kind, full=full, filters=filters, request=request)
    prepared = kind.prepare(actor=actor, filters=filters)
    if prepared.count > kind.max_rows:
        raise DomainError(
            kind.too_many(kind.max_rows)
            if kind.too_many
            else _("The list has more than %(max)s rows; narrow it with the filters.")
            % {"max": f"{kind.max_rows:,}"}
        )
    return prepared


def request_export(
    *,
    actor: User,
    kind: str,
    filters: dict[str, Any],
    fmt: str = "xlsx",
    full: bool = False,
    reason: str = "",
    confirmed: bool = False,
    request=None,
) -> ExportFile | ExportJob:
    """An export of `kind` with `filters` for `actor`: the file itself when it is small, else an
    ExportJob being built in the background. Raises ExportRefused (403) or DomainError (a message
    to show: too many rows, a full-value export without reason or confirmation)."""
    export_kind = kind_named(kind)
    fmt = fmt if fmt in export_kind.formats else export_kind.formats[0]
    check_export(actor=actor, kind=export_kind, full=full, filters=filters, request=request)
    reason = " ".join(str(reason or "").split())
    if full:
        if not reason:
            raise DomainError(_("Say why this export needs the full personal data."))
        if len(reason) > REASON_MAX_LENGTH:
            raise DomainError(
                _("The reason is longer than %(max)s characters.") % {"max": REASON_MAX_LENGTH}
            )
        if not confirmed:
            raise DomainError(
                _("Confirm that you take responsibility for the full personal data in this file.")
            )
    prepared = prepare_export(actor=actor, kind=export_kind, filters=filters, full=full)
    if prepared.count > INLINE_MAX_ROWS:
        job = ExportJob.objects.create(
            created_by=actor,
            kind=export_kind.name,
            filters=filters,
            fmt=fmt,
            full_values=full,
            reason=reason if full else "",
            total_rows=prepared.count,
            ip_address=(request.META.get("REMOTE_ADDR") or None) if request is not None else None,
        )
        build_export_task(job.pk, translation.get_language() or settings.LANGUAGE_CODE)
        job.refresh_from_db()
        return job
    file, written = write_export(export_kind, prepared, fmt=fmt, full=full)
    record_export(
        actor=actor,
        kind=export_kind,
        filters=filters,
        fmt=fmt,
        full=full,
        reason=reason,
        written=written,
        request=request,
    )
    return ExportFile(
        file=file,
        file_name=file_name_for(export_kind, filters, fmt),
        content_type=CONTENT_TYPES[fmt],
        rows=written.rows,
    )
