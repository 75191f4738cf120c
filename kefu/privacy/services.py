"""Personal-data rights: a customer's data copied out, erased, and data purged after its retention
time. What each app holds comes from kefu.core.personal_data (each app's personal_data.py). Every
step is audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core import personal_data as pd
from kefu.core.errors import DomainError, InvalidState, PermissionRefused
from kefu.core.events import emit
from kefu.core.spreadsheets import write_csv
from kefu.customers.models import Customer
from kefu.privacy.events import CustomerErased
from kefu.privacy.models import DataExport, ErasureRequest, ErasureState, RetentionRule

REASON_MAX = 200
SYSTEM = "kefu"  # the audit's actor name for steps the scheduler runs


def export_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "privacy"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _label(customer: Customer) -> str:
    return f"{customer.name} (#{customer.pk})"[:80]


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason for the request (who asked, and how)."))
    if len(reason) > REASON_MAX:
        raise DomainError(_("The reason is at most %(n)d characters.") % {"n": REASON_MAX})
    return reason


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionRefused(_("You do not have permission to do this."))


def _audit_customer(
    action: AuditAction,
    *,
    customer_id: int | None,
    label: str,
    details: dict[str, Any],
    actor: User | None = None,
    request: Any = None,
) -> None:
    """An audit entry about a customer by number only: the log outlives an erasure and must not
    keep the name it removed."""
    audit(
        action,
        actor=actor,
        actor_username="" if actor else SYSTEM,
        object_type="customers.customer",
        object_id=str(customer_id or ""),
        object_repr=label,
        request=request,
        details=details,
    )


# --- the copy ---------------------------------------------------------------------------------


def _write_zip(customer: Customer, out: Path) -> dict[str, Any]:
    """Every holder's tables (JSON and CSV) and stored files; returns what was written."""
    written: dict[str, Any] = {"tables": {}, "files": 0}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for holder in pd.holders():
            for part in holder.export(customer):
                if isinstance(part, pd.Table):
                    base = f"{holder.name}/{part.name}"
                    archive.writestr(
                        base + ".json",
                        json.dumps(part.rows, ensure_ascii=False, indent=1, default=str),
                    )
                    header = list(part.rows[0]) if part.rows else []
                    cells = [[row.get(h) for h in header] for row in part.rows]
                    csv = write_csv(header=header, rows=cells, out=io.BytesIO())
                    archive.writestr(base + ".csv", csv.getvalue())  # type: ignore[attr-defined]
                    written["tables"][base] = len(part.rows)
                else:
                    try:
                        with part.file.open("rb") as stored:
                            archive.writestr(f"{holder.name}/{part.path}", stored.read())
                    except OSError:  # a file gone from the disk: say so in the copy
                        archive.writestr(f"{holder.name}/{part.path}.missing.txt", "missing")
                    written["files"] += 1
        manifest = {
            "customer_id": customer.pk,
            "created_at": timezone.now().isoformat(),
            "tables": written["tables"],
            "files": written["files"],
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return written


def export_customer_data(
    *, actor: User, customer: Customer, reason: str, request: Any = None
) -> DataExport:
    """A zip of everything held about `customer`, for `actor` alone to download (audited)."""
    _require(actor, Perm.EXPORT_CUSTOMER_DATA)
    reason = _reason(reason)
    name = f"{secrets.token_hex(16)}.zip"
    path = export_dir() / name
    written = _write_zip(customer, path)
    with transaction.atomic():
        export = DataExport.objects.create(
            customer=customer,
            customer_label=_label(customer),
            requested_by=actor,
            reason=reason,
            file_name=name,
            size=path.stat().st_size,
        )
        _audit_customer(
            AuditAction.PERSONAL_DATA_EXPORT,
            customer_id=customer.pk,
            label=f"#{customer.pk}",
            actor=actor,
            request=request,
            details={"step": "built", "export": export.pk, "reason": reason, **written},
        )
    return export


def export_path(export: DataExport) -> Path | None:
    if not export.file_name or export.deleted_at is not None:
        return None
    path = export_dir() / export.file_name
    return path if path.is_file() else None


def record_download(*, actor: User, export: DataExport, request: Any = None) -> None:
    with transaction.atomic():
        DataExport.objects.filter(pk=export.pk).update(downloaded_at=timezone.now())
        _audit_customer(
            AuditAction.PERSONAL_DATA_EXPORT,
            customer_id=export.customer_id,
            label=export.customer_label,
            actor=actor,
            request=request,
            details={"step": "downloaded", "export": export.pk, "size": export.size},
        )


def _delete_export_files(customer: Customer) -> int:
    count = 0
    for export in DataExport.objects.filter(customer=customer, deleted_at__isnull=True):
        path = export_dir() / export.file_name if export.file_name else None
        if path is not None and path.is_file():
            path.unlink()
        count += 1
    DataExport.objects.filter(customer=customer).update(
        deleted_at=timezone.now(), customer_label=f"#{customer.pk}"
    )
    return count


# --- erasure ----------------------------------------------------------------------------------


def blockers(customer: Customer) -> list[str]:
    reasons: list[str] = []
    for holder in pd.holders():
        reasons += holder.blockers(customer)
    return reasons


def request_erasure(
    *,
    actor: User,
    customer: Customer,
    reason: str,
    wait_for_blockers: bool = False,
    request: Any = None,
) -> ErasureRequest:
    """Erase the customer's personal data now; while something blocks it (an open complaint),
    refuse with the reason, or (`wait_for_blockers`) queue it to be done once it clears."""
    _require(actor, Perm.ERASE_CUSTOMER_DATA)
    reason = _reason(reason)
    if ErasureRequest.objects.filter(customer=customer, state=ErasureState.WAITING).exists():
        raise InvalidState(_("An erasure request for this customer is already waiting."))
    blocked = blockers(customer)
    if blocked and not wait_for_blockers:
        _audit_customer(
            AuditAction.PERSONAL_DATA_ERASURE,
            customer_id=customer.pk,
            label=f"#{customer.pk}",
            actor=actor,
            request=request,
            details={"step": "refused", "reason": reason, "blocked": blocked},
        )
        raise InvalidState(" ".join(blocked))
    with transaction.atomic():
        erasure = ErasureRequest.objects.create(
            customer=customer,
            customer_label=_label(customer),
            requested_by=actor,
            reason=reason,
            blocked_reason=" ".join(blocked)[:500],
        )
        _audit_customer(
            AuditAction.PERSONAL_DATA_ERASURE,
            customer_id=customer.pk,
            label=f"#{customer.pk}",
            actor=actor,
            request=request,
            details={
                "step": "queued" if blocked else "requested",
                "request": erasure.pk,
                "reason": reason,
                "blocked": blocked,
            },
        )
        if not blocked:
            _erase(erasure, actor=actor, request=request)
    return erasure


def _erase(erasure: ErasureRequest, *, actor: User | None, request: Any = None) -> None:
    """Run every holder's eraser in the caller's transaction, auditing each step."""
    assert erasure.customer_id is not None
    customer = Customer.objects.select_for_update().get(pk=erasure.customer_id)
    about: dict[str, Any] = {"customer_id": customer.pk, "label": f"#{customer.pk}", "actor": actor}
    counts: dict[str, dict[str, int]] = {}
    # What files kept on disk (uploads waiting to be imported) know the customer by, read before
    # the erasers blank it.
    known_by: set[str] = set()
    for holder in pd.holders():
        known_by |= holder.identifiers(customer)
    terms = frozenset(term for term in known_by if len(term) >= 5)  # shorter ones match too much
    for holder in pd.holders():
        done = {k: int(v) for k, v in holder.erase(customer).items()}
        done |= {k: int(v) for k, v in holder.erase_files(terms).items()}
        counts[holder.name] = done
        _audit_customer(
            AuditAction.PERSONAL_DATA_ERASURE,
            request=request,
            details={"step": holder.name, "request": erasure.pk, "counts": done},
            **about,
        )
    counts["privacy"] = {"data_exports": _delete_export_files(customer)}
    ErasureRequest.objects.filter(customer=customer).update(customer_label=f"#{customer.pk}")
    erasure.state = ErasureState.DONE
    erasure.counts = counts
    erasure.blocked_reason = ""
    erasure.customer_label = f"#{customer.pk}"
    erasure.completed_at = timezone.now()
    erasure.save()
    _audit_customer(
        AuditAction.PERSONAL_DATA_ERASURE,
        request=request,
        details={"step": "done", "request": erasure.pk},
        **about,
    )
    emit(CustomerErased(customer_id=customer.pk, request_id=erasure.pk))


def complete_waiting_erasures(*, customer_ids: list[int] | None = None) -> int:
    """Erase for each waiting request whose blockers have cleared (the scheduler, every 10 min;
    and at once for the customer of a complaint that closes)."""
    done = 0
    waiting = ErasureRequest.objects.filter(state=ErasureState.WAITING).select_related("customer")
    if customer_ids is not None:
        waiting = waiting.filter(customer_id__in=customer_ids)
    for erasure in waiting:
        if erasure.customer is None:
            continue
        blocked = blockers(erasure.customer)
        with transaction.atomic():
            if blocked:
                ErasureRequest.objects.filter(pk=erasure.pk).update(
                    blocked_reason=" ".join(blocked)[:500]
                )
                continue
            _erase(erasure, actor=None)
            done += 1
    return done


def cancel_erasure(*, actor: User, erasure: ErasureRequest, request: Any = None) -> None:
    _require(actor, Perm.ERASE_CUSTOMER_DATA)
    with transaction.atomic():
        updated = ErasureRequest.objects.filter(pk=erasure.pk, state=ErasureState.WAITING).update(
            state=ErasureState.CANCELLED, completed_at=timezone.now()
        )
        if not updated:
            raise InvalidState(_("Only a waiting request can be cancelled."))
        _audit_customer(
            AuditAction.PERSONAL_DATA_ERASURE,
            customer_id=erasure.customer_id,
            label=erasure.customer_label,
            actor=actor,
            request=request,
            details={"step": "cancelled", "request": erasure.pk},
        )


# --- retention --------------------------------------------------------------------------------

MAX_DAYS = 36500


def save_retention_rule(
    *, actor: User, kind: str, days: int, enabled: bool, request: Any = None
) -> RetentionRule:
    _require(actor, Perm.ERASE_CUSTOMER_DATA)
    if pd.retention_kind(kind) is None:
        raise DomainError(_("There is no data kind “%(kind)s”.") % {"kind": kind[:40]})
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("Keep data between 1 and %(max)d days.") % {"max": MAX_DAYS})
    with transaction.atomic():
        rule, _created = RetentionRule.objects.update_or_create(
            kind=kind, defaults={"days": days, "enabled": enabled, "updated_by": actor}
        )
        audit(
            AuditAction.SETTINGS_CHANGED,
            actor=actor,
            obj=rule,
            request=request,
            details={"retention": kind, "days": days, "enabled": enabled},
        )
    return rule


def retention_overview(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every data kind with its rule and, where a rule exists, how much a purge would touch now
    (the dry run: counts only, nothing changed)."""
    now = now or timezone.now()
    rules = {r.kind: r for r in RetentionRule.objects.all()}
    overview = []
    for kind in pd.retention_kinds():
        rule = rules.get(kind.name)
        due = kind.count(now - dt.timedelta(days=rule.days)) if rule else None
        overview.append({"kind": kind.name, "label": str(kind.label), "rule": rule, "due": due})
    return overview


def purge_expired(*, actor: User | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Purge what enabled rules say is past its time (the scheduler, daily; or a manager)."""
    if actor is not None:
        _require(actor, Perm.ERASE_CUSTOMER_DATA)
    now = now or timezone.now()
    purged: dict[str, int] = {}
    for rule in RetentionRule.objects.filter(enabled=True):
        kind = pd.retention_kind(rule.kind)
        if kind is None:
            continue
        before = now - dt.timedelta(days=rule.days)
        with transaction.atomic():
            count = kind.purge(before)
            RetentionRule.objects.filter(pk=rule.pk).update(last_run_at=now, last_purged=count)
            audit(
                AuditAction.RETENTION_PURGE,
                actor=actor,
                actor_username="" if actor else SYSTEM,
                obj=rule,
                details={"kind": rule.kind, "before": before.isoformat(), "purged": count},
            )
        purged[rule.kind] = count
    return purged
