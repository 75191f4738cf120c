"""The customer export through its page: who may export, masking by default, the full-value export
(its own right, a reason, a confirmation, audited with the values revealed), inert cells for the
hostile corpus, and large exports built in the background for their owner only."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.exports import services as export_services
from kefu.exports import tasks as export_tasks
from kefu.exports.building import build_export_job, expire_exports
from kefu.exports.models import ExportJob, ExportStatus
from tests.spreadsheets import (
    HOSTILE_EXPORT_STRINGS,
    csv_rows,
    formula_cells,
    inert,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Each test its own data folder, so export files of one test never count in another."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def names_of(rows: list[list]) -> list:
    index = rows[0].index("姓名")
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_hostile_names_and_notes_are_inert_cells(client_for, fmt):
    """Control characters are stripped before the formula check: "\\u0001=1+1" is text, not =1+1."""
    client, _supervisor = client_for(Role.SUPERVISOR)
    for i, hostile in enumerate(HOSTILE_EXPORT_STRINGS):
        Customer.objects.create(name=hostile, notes=hostile, mobile=f"+861380013{i:04d}")

    response = client.get(f"/customers/export/?format={fmt}")

    assert response.status_code == 200
    if fmt == "xlsx":
        assert formula_cells(response) == []
        rows = xlsx_rows(response)
    else:
        rows = csv_rows(response)
    assert sorted(names_of(rows)) == sorted(inert(h) for h in HOSTILE_EXPORT_STRINGS)
    notes = rows[0].index("备注")
    assert sorted(row[notes] for row in rows[1:]) == sorted(
        inert(h) for h in HOSTILE_EXPORT_STRINGS
    )


# --- masked by default; full values are a separate, explicit export ------------------------------


@pytest.fixture
def archive():
    zhang = Customer.objects.create(
        name="张伟",
        city="南宁市",
        mobile="+8613800138000",
        phone="0771-5551234",
        email="zhang.wei@example.com",
    )
    Customer.objects.create(name="李娜", city="南宁市", mobile="+8613900139000")
    Customer.objects.create(name="王芳", city="广州市", mobile="+8613700137000")
    return zhang


def contact_columns(rows: list[list]) -> list[tuple]:
    header = rows[0]
    picked = [header.index(title) for title in ("姓名", "手机", "固定电话", "邮箱")]
    return sorted(tuple(row[i] or "" for i in picked) for row in rows[1:])  # an empty cell: None


FULL_URL = "/exports/full/customers/?city=南宁市"


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.SUPERVISOR])
def test_every_default_export_is_masked_whoever_asks(client_for, archive, role):
    client, _user = client_for(role)
    rows = xlsx_rows(client.get("/customers/export/?city=南宁市"))
    assert contact_columns(rows) == [
        ("张伟", "138****8000", "077****1234", "z***@example.com"),
        ("李娜", "139****9000", "", ""),
    ]
    assert "13800138000" not in str(rows) and "138 0013 8000" not in str(rows)


def test_the_full_value_export_has_its_own_right(client_for, archive):
    """A supervisor exports (masked) and reveals single values, but may not export in full."""
    client, supervisor = client_for(Role.SUPERVISOR)
    list_page = client.get("/customers/?city=南宁市").content.decode()
    assert 'data-testid="export-link"' in list_page
    assert 'data-testid="full-export-link"' not in list_page
    AuditEntry.objects.all().delete()

    form = client.get(FULL_URL)
    sent = client.post(FULL_URL, {"query": "city=南宁市", "reason": "寄礼品", "confirm": "1"})

    assert form.status_code == 403 and sent.status_code == 403
    assert "您没有导出这些数据的权限。" in sent.content.decode()
    assert not sent.streaming
    assert (
        list(AuditEntry.objects.values_list("action", "actor", "object_type"))
        == [(AuditAction.ACCESS_DENIED, supervisor.pk, "customers")] * 2
    )


def test_a_manager_exports_in_full_with_a_reason_and_a_confirmation(client_for, archive):
    client, manager = client_for(Role.MANAGER)
    list_page = client.get("/customers/?city=南宁市").content.decode()
    assert 'href="/exports/full/customers/?city=%E5%8D%97%E5%AE%81%E5%B8%82"' in list_page
    form = client.get(FULL_URL).content.decode()
    assert "导出（含完整个人信息）" in form and "手机、固定电话、邮箱" in form
    assert "文件将包含 2 行。" in form
    AuditEntry.objects.all().delete()

    no_reason = client.post(FULL_URL, {"query": "city=南宁市", "reason": "  ", "confirm": "1"})
    unconfirmed = client.post(FULL_URL, {"query": "city=南宁市", "reason": "年终礼品寄送"})

    assert no_reason.status_code == 400
    assert "请填写需要导出完整个人信息的原因。" in no_reason.content.decode()
    assert unconfirmed.status_code == 400
    assert "请勾选确认：您对文件中的完整个人信息负责。" in unconfirmed.content.decode()
    assert "年终礼品寄送" in unconfirmed.content.decode()  # the reason typed is kept
    assert not AuditEntry.objects.exists()

    response = client.post(
        FULL_URL, {"query": "city=南宁市", "reason": "年终礼品寄送", "confirm": "1"}
    )

    assert response.status_code == 200
    assert contact_columns(xlsx_rows(response)) == [
        ("张伟", "138 0013 8000", "0771 555 1234", "zhang.wei@example.com"),
        ("李娜", "139 0013 9000", "", ""),
    ]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_type, entry.details) == (
        AuditAction.EXPORT,
        manager,
        "customers",
        {
            "rows": 2,
            "filters": {"city": "南宁市"},
            "format": "xlsx",
            "full_values": True,
            "reason": "年终礼品寄送",
            "revealed_values": 4,
        },
    )


def test_the_full_value_page_escapes_what_was_typed(client_for, archive):
    client, _manager = client_for(Role.MANAGER)
    hostile = "<script>alert(1)</script>"
    page = client.post(FULL_URL, {"query": "city=南宁市", "reason": hostile}).content.decode()
    assert hostile not in page and "&lt;script&gt;" in page


# --- large exports are built in the background, for their owner only -----------------------------


@pytest.fixture
def small_inline(monkeypatch):
    """Two rows are built while the user waits, more in the background (1,000 in production)."""
    monkeypatch.setattr(export_services, "INLINE_MAX_ROWS", 2)


def test_a_large_export_is_built_in_the_background_and_downloaded_by_its_owner(
    client_for, archive, small_inline
):
    client, supervisor = client_for(Role.SUPERVISOR)

    response = client.get("/customers/export/?format=xlsx")

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    assert (job.created_by, job.status, job.total_rows, job.full_values) == (
        supervisor,
        ExportStatus.DONE,  # Huey runs tasks at once in tests
        3,
        False,
    )
    page = client.get(response["Location"]).content.decode()
    assert "可以下载" in page and "只有您可以下载此文件；72 小时后自动删除。" in page
    assert f'href="/exports/{job.pk}/download/"' in page
    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert contact_columns(xlsx_rows(download))[0] == (
        "张伟",
        "138****8000",
        "077****1234",
        "z***@example.com",
    )
    assert len(xlsx_rows(download)) == 4
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.details == {
        "rows": 3,
        "filters": {},
        "format": "xlsx",
        "full_values": False,
        "job": job.pk,
    }
    mine = client.get("/exports/").content.decode()
    assert "我的导出" in mine and f'href="/exports/{job.pk}/download/"' in mine
    assert 'href="/exports/"' in client.get("/customers/").content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_nobody_else_can_see_or_download_an_export(client_for, archive, small_inline, role):
    owner_client, _owner = client_for(Role.SUPERVISOR)
    owner_client.get("/customers/export/")
    job = ExportJob.objects.get()
    other, other_user = client_for(role)

    for url in (
        f"/exports/{job.pk}/",
        f"/exports/{job.pk}/download/",
        f"/exports/{job.pk}/?part=progress",
    ):
        assert other.get(url).status_code == 404
    assert f"/exports/{job.pk}/" not in other.get("/exports/").content.decode()
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.ACCESS_DENIED, actor=other_user, object_id=str(job.pk)
        ).count()
        == 3
    )
    assert other.get("/exports/999999/download/").status_code == 404


def test_a_large_full_value_export_is_audited_when_built(client_for, archive, small_inline):
    client, manager = client_for(Role.MANAGER)
    response = client.post(
        "/exports/full/customers/", {"query": "", "reason": "客户回访外包", "confirm": "1"}
    )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    rows = xlsx_rows(client.get(f"/exports/{job.pk}/download/"))
    assert ("张伟", "138 0013 8000", "0771 555 1234", "zhang.wei@example.com") in contact_columns(
        rows
    )
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor, entry.details["full_values"], entry.details["reason"]) == (
        manager,
        True,
        "客户回访外包",
    )
    assert entry.details["revealed_values"] == 5 and entry.details["job"] == job.pk


def test_the_progress_is_shown_while_the_export_is_built(client_for):
    client, supervisor = client_for(Role.SUPERVISOR)
    job = ExportJob.objects.create(
        created_by=supervisor,
        kind="customers",
        status=ExportStatus.BUILDING,
        total_rows=5000,
        processed_rows=1500,
    )
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "正在生成" in page and "已写入 1500 / 5000 行" in page
    assert f'hx-get="/exports/{job.pk}/?part=progress"' in page
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.DONE)
    done = client.get(f"/exports/{job.pk}/?part=progress", HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"


def test_an_old_export_file_is_deleted(client_for, archive, small_inline):
    client, _supervisor = client_for(Role.SUPERVISOR)
    client.get("/customers/export/")
    job = ExportJob.objects.get()
    stored = Path(settings.DATA_DIR) / job.stored_path
    assert stored.exists()

    expire_exports(older_than=timezone.now() + dt.timedelta(seconds=1))

    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not stored.exists()
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404
    assert "文件已删除" in client.get(f"/exports/{job.pk}/").content.decode()


def test_an_owner_who_lost_the_export_right_gets_no_file(
    client_for, archive, small_inline, monkeypatch
):
    """The background build checks the rights again."""
    client, supervisor = client_for(Role.SUPERVISOR)
    monkeypatch.setattr(export_tasks, "build_export_task", lambda *args, **kwargs: None)
    monkeypatch.setattr(export_services, "build_export_task", lambda *args, **kwargs: None)
    client.get("/customers/export/")
    job = ExportJob.objects.get()
    supervisor.role = Role.AGENT
    supervisor.save()

    build_export_job(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.message, job.stored_path) == (
        ExportStatus.FAILED,
        "您没有导出这些数据的权限。",
        "",
    )
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
