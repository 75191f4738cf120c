"""Order files (.xlsx/.csv) with the archive's import rules, reusing its readers: the upload is
stored under a generated name and refused when it is not a readable spreadsheet (size, zip bomb,
.xls, unreadable encoding: UTF-8, UTF-16 or GBK), then checked row by row (the dry run). Only a file
without a single bad row can be imported, and it is imported whole, in one transaction, or not at
all. One row per item; rows with the same platform and order number are one order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import Conflict, DomainError, InvalidState
from kefu.customers.services.transfer.files import blank_rows, store_upload
from kefu.customers.services.transfer.readers import ImportRefused, open_rows
from kefu.orders.models import ImportStatus, Order, OrderImport
from kefu.orders.services.orders import clean_order, record_orders, require_order_intake

MAX_REPORTED = 200

# Column names as shops' exports spell them (Taobao, E店宝), and ours in English.
COLUMNS = {
    "platform": ("平台", "platform"),
    "number": ("订单号", "订单编号", "order number", "order"),
    "buyer_id": ("买家旺旺", "旺旺", "买家会员名", "buyer id", "buyer"),
    "receiver_name": ("收货人", "收货人姓名", "receiver"),
    "receiver_mobile": ("手机", "联系手机", "收货人手机", "mobile"),
    "address": ("收货地址", "地址", "address"),
    "sku": ("商品编码", "sku"),
    "name": ("商品名称", "宝贝标题", "product"),
    "attributes": ("属性", "商品属性", "颜色分类", "attributes"),
    "quantity": ("数量", "购买数量", "quantity"),
    "price": ("单价", "价格", "unit price", "price"),
    "amount": ("订单金额", "总金额", "amount"),
    "paid": ("实付金额", "买家实际支付金额", "paid"),
    "payment_method": ("支付方式", "payment"),
    "paid_at": ("付款时间", "paid at"),
    "state": ("状态", "订单状态", "state"),
    "logistics_company": ("物流公司", "快递公司", "courier"),
    "tracking_number": ("运单号", "物流单号", "tracking number"),
    "ordered_at": ("下单时间", "订单创建时间", "ordered at"),
}
ITEM_FIELDS = ("sku", "name", "attributes", "quantity", "price")
REQUIRED = ("platform", "number")


def _mapping(header: list[str]) -> dict[str, int]:
    found = {}
    lowered = [h.strip().lower() for h in header]
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.lower() in lowered:
                found[name] = lowered.index(alias.lower())
                break
    return found


def _grouped(path: Path) -> tuple[int, dict[tuple[str, str], dict[str, Any]], list[dict[str, Any]]]:
    """(data rows, the orders by (platform, number) as raw dicts, the rows' problems)."""
    _estimate, rows = open_rows(path)
    rows_iter: Iterator[list[str]] = iter(rows)
    header = next(rows_iter, None)
    if not header:
        raise ImportRefused(_("The sheet is empty. Put the column names in the first row."))
    mapping = _mapping(header)
    missing = [n for n in REQUIRED if n not in mapping]
    if missing:
        raise ImportRefused(
            _("The first row must name the columns; missing: %(columns)s")
            % {"columns": "、".join(COLUMNS[n][0] for n in missing)}
        )
    orders: dict[tuple[str, str], dict[str, Any]] = {}
    problems: list[dict[str, Any]] = []
    total = 0
    for number, row in enumerate(rows_iter, start=2):
        if not any(cell for cell in row):
            continue
        total += 1
        values = {name: (row[index] if index < len(row) else "") for name, index in mapping.items()}
        key = (values.get("platform", ""), values.get("number", ""))
        raw = orders.get(key)
        if raw is None:
            raw = {k: v for k, v in values.items() if k not in ITEM_FIELDS}
            raw["items"] = []
            raw["_rows"] = []
            orders[key] = raw
        if values.get("name"):
            raw["items"].append({k: values.get(k, "") for k in ITEM_FIELDS})
        raw["_rows"].append(number)
    for raw in orders.values():
        rows_of = raw.pop("_rows")
        try:
            raw["_clean"] = clean_order(raw)
        except DomainError as error:
            problems.append({"row": rows_of[0], "errors": [error.message]})
            raw["_clean"] = None
    problems.sort(key=lambda p: p["row"])
    return total, orders, problems


def check_order_file(*, actor: User, upload: UploadedFile) -> OrderImport:
    """Store the upload and make the dry run: how many rows and orders, how many new, which rows
    are wrong and why. Nothing is written to the orders."""
    require_order_intake(actor)
    file_name, relative = store_upload(upload)
    job = OrderImport(created_by=actor, file_name=file_name, stored_path=relative)
    try:
        _count(job)
    except BaseException:
        _remove(job)
        raise
    job.status = ImportStatus.CHECKED
    job.save()
    return job


def _count(job: OrderImport) -> None:
    """Set the job's figures from its file: rows, orders, new orders and the rows' problems."""
    total, orders, problems = _grouped(job_path(job))
    numbers = {key[1] for key in orders}
    existing: set[tuple[str, str]] = set()
    chunk = list(numbers)
    for start in range(0, len(chunk), 500):
        existing.update(
            Order.objects.filter(number__in=chunk[start : start + 500]).values_list(
                "platform", "number"
            )
        )
    cleaned = [raw["_clean"] for raw in orders.values() if raw["_clean"] is not None]
    job.total_rows = total
    job.order_count = len(orders)
    job.new_orders = sum(1 for d in cleaned if (d.platform, d.number) not in existing)
    job.error_rows = len(problems)
    job.report = problems[:MAX_REPORTED]


def erase_kept_rows(job: OrderImport, terms: frozenset[str]) -> int:
    """Blank a customer's rows in a checked file waiting for confirmation (transfer.files.blank_rows)
    and count the file again: confirming the old count is refused as a changed check, and a file
    left with no order cannot be imported. Returns the number of rows blanked."""
    rows = blank_rows(job_path(job), terms)
    if rows:
        try:
            _count(job)
        except (ImportRefused, OSError):  # nothing but the header left, or the file dropped
            job.total_rows = job.order_count = job.new_orders = 0
        job.save()
    return len(rows)


def job_path(job: OrderImport) -> Path:
    return Path(settings.DATA_DIR) / job.stored_path


def _remove(job: OrderImport) -> None:
    job_path(job).unlink(missing_ok=True)


def confirm_order_import(*, actor: User, job: OrderImport, order_count: int) -> OrderImport:
    """Queue the import of every order of a checked file (a Huey task): all of them or none."""
    require_order_intake(actor)
    if job.status != ImportStatus.CHECKED:
        raise InvalidState(_("This file was already imported or cancelled."))
    if job.error_rows:
        raise DomainError(
            _("The file has %(count)d rows with errors; correct them and upload it again.")
            % {"count": job.error_rows}
        )
    if order_count != job.order_count:
        raise Conflict(
            _("The check has changed since you looked at it; review it and confirm again.")
        )
    if not job_path(job).exists():
        raise DomainError(_("The uploaded file is no longer available; upload it again."))
    if not OrderImport.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.IMPORTING
    ):
        raise Conflict(_("This import was changed meanwhile; reload the page."))
    from kefu.orders.tasks import import_orders_task

    import_orders_task(job.pk, actor.pk, translation.get_language() or settings.LANGUAGE_CODE)
    job.refresh_from_db()
    return job


def run_order_import(*, job_id: int, actor: User) -> None:
    """The writing, in one transaction: a refusal of any order (a state going back, say) leaves
    nothing written and the job failed with that order's reason."""
    job = OrderImport.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).first()
    if job is None:
        return
    try:
        _total, orders, problems = _grouped(job_path(job))
        if problems:
            raise DomainError(_("The file has rows with errors; correct them and upload it again."))
        with transaction.atomic():
            record_orders(actor=actor, orders=[raw["_clean"] for raw in orders.values()])
            OrderImport.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTED)
    except DomainError as refused:
        OrderImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, message=refused.message[:300]
        )
    _remove(job)


def cancel_order_import(*, actor: User, job: OrderImport) -> OrderImport:
    require_order_intake(actor)
    if job.status != ImportStatus.CHECKED:
        raise InvalidState(_("This file was already imported or cancelled."))
    OrderImport.objects.filter(pk=job.pk).update(status=ImportStatus.CANCELLED)
    _remove(job)
    job.refresh_from_db()
    return job
