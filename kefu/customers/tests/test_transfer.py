"""Import (dry run, report, confirm, written in chunks) and export (filters, masking, formulas, audit).

Files are built in the tests with openpyxl and csv. Huey runs tasks immediately in tests, so an
upload returns with its check finished. Expected messages are computed with gettext in Chinese, so
the tests hold before and after the catalogue has the new strings.
"""

import csv
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import path
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from ninja import NinjaAPI
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from conftest import HOSTILE_STRINGS
from kefu import urls as project_urls
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from kefu.api import api as project_api
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.core.spreadsheets import neutralise
from kefu.customers import identities
from kefu.customers.api_transfer import router as transfer_router
from kefu.customers.events import CustomersImported
from kefu.customers.models import (
    Customer,
    Gender,
    ImportJob,
    ImportStatus,
    Level,
    Source,
    Tag,
)
from kefu.customers.services import profiles
from kefu.customers.services.transfer import checking, columns, exports
from kefu.exports import registry

pytestmark = pytest.mark.django_db

# The import API under its own prefix, with the project API's authentication and error answers,
# so these tests do not depend on where kefu/api mounts the router.
_test_api = NinjaAPI(urls_namespace="customers-transfer-test", auth=project_api.auth, docs_url=None)
_test_api._exception_handlers = project_api._exception_handlers
_test_api.add_router("", transfer_router)
urlpatterns = [path("api/transfer-test/", _test_api.urls), *project_urls.urlpatterns]
API = "/api/transfer-test/customers/imports"


# --- helpers --------------------------------------------------------------------------------------


def zh(text: str, **values) -> str:
    """A message as the Chinese screen shows it."""
    with translation.override("zh-hans"):
        message = gettext(text)
        return message % values if values else message


def reason(kind: str, value: str) -> str:
    with translation.override("zh-hans"):
        try:
            identities.normalise(kind, value)
        except identities.InvalidIdentity as error:
            return str(error)
    raise AssertionError(f"{value} is valid")


def field_error(label: str, kind: str, value: str) -> str:
    return zh("%(field)s: %(reason)s", field=zh(label), reason=reason(kind, value))


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(client, name: str, content: bytes):
    return client.post("/customers/import/", {"file": SimpleUploadedFile(name, content)})


def upload_job(client, name: str, content: bytes) -> ImportJob:
    response = upload(client, name, content)
    assert response.status_code == 302, response.content.decode()[:800]
    job = ImportJob.objects.latest("id")
    assert response["Location"] == f"/customers/import/{job.pk}/"
    return job


def confirm(client, job: ImportJob):
    return client.post(f"/customers/import/{job.pk}/confirm/", {"valid_rows": job.valid_rows})


def import_files() -> list[Path]:
    folder = Path(settings.DATA_DIR) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def report_of(job: ImportJob) -> dict[int, list[str]]:
    return {entry["row"]: entry["errors"] for entry in job.report}


def make_customer(name: str, mobile: str, **profile) -> Customer:
    return profiles.create_customer(
        actor=None, name=name, contacts=profiles.ContactPoints({"mobile": [mobile]}), **profile
    )


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Each test its own data folder, so leftover uploads of one test never count in another."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def supervisor_client(client_for):
    return client_for(Role.SUPERVISOR)


GOOD_HEADER = [
    "姓名",
    "性别",
    "手机号码",
    "邮箱",
    "微信",
    "省份",
    "城市",
    "区县",
    "街道",
    "地址",
    "会员等级",
    "标签",
    "备注",
]


# --- importing ------------------------------------------------------------------------------------


def test_a_good_xlsx_is_only_checked_until_confirmed_then_imported_whole(supervisor_client):
    client, supervisor = supervisor_client
    content = xlsx_bytes(
        [
            GOOD_HEADER,
            [
                "张伟",
                "男",
                "+86 138-0013-8000",
                "Zhang.Wei@Example.com",
                "wxid_zhangwei",
                "广西壮族自治区",
                "南宁市",
                "青秀区",
                "新竹街道",
                "民族大道 100 号",
                "VIP",
                "老客户，批发客户",
                "爱喝茶",
            ],
            [
                "李娜",
                "女",
                13900139000,
                "",
                "",
                "广东省",
                "广州市",
                "天河区",
                "石牌街道",
                "",
                "会员",
                "老客户",
                "",
            ],
            ["王芳", "", "１３７００１３７０００", "", "", "", "", "", "", "", "", "", ""],
        ]
    )

    job = upload_job(client, "客户名单.xlsx", content)

    job.refresh_from_db()
    assert (
        job.status,
        job.total_rows,
        job.processed_rows,
        job.valid_rows,
        job.error_rows,
        job.report,
    ) == (ImportStatus.CHECKED, 3, 3, 3, 0, [])
    assert job.mapping == {
        "0": "name",
        "1": "gender",
        "2": "mobile",
        "3": "email",
        "4": "wechat",
        "5": "region",
        "6": "city",
        "7": "district",
        "8": "street",
        "9": "address",
        "10": "level",
        "11": "tags",
        "12": "notes",
    }
    assert Customer.objects.count() == 0  # the dry run imports nothing
    assert str(Path(settings.DATA_DIR) / job.stored_path).startswith(
        str(Path(settings.DATA_DIR) / "imports")
    )
    assert "客户名单" not in job.stored_path  # never the user's file name on disk
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'data-testid="confirm-import"' in page and 'name="valid_rows" value="3"' in page

    response = confirm(client, job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.imported_rows, job.message) == (ImportStatus.DONE, 3, "")
    zhang = Customer.objects.get(name="张伟")
    assert (
        zhang.gender,
        zhang.mobile,
        zhang.mobile_last4,
        zhang.email,
        zhang.region,
        zhang.city,
        zhang.district,
        zhang.street,
        zhang.address,
        zhang.level,
        zhang.notes,
        zhang.source,
        zhang.created_by,
    ) == (
        Gender.MALE,
        "+8613800138000",
        "8000",
        "zhang.wei@example.com",
        "广西壮族自治区",
        "南宁市",
        "青秀区",
        "新竹街道",
        "民族大道 100 号",
        Level.VIP,
        "爱喝茶",
        Source.IMPORT,
        supervisor,
    )
    assert zhang.completeness == profiles.completeness_of(zhang) == 100
    assert (
        zhang.custom,
        zhang.accuracy_flag,
        zhang.owner,
        zhang.merged_into,
        zhang.reviewed_at,
        zhang.phone,
    ) == ({}, "", None, None, None, "")
    assert zhang.created_at is not None and zhang.updated_at == zhang.created_at
    assert sorted(zhang.identities.values_list("kind", "value")) == [
        ("email", "zhang.wei@example.com"),
        ("mobile", "+8613800138000"),
        ("wechat", "wxid_zhangwei"),
    ]
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["批发客户", "老客户"]
    li = Customer.objects.get(name="李娜")
    assert (li.mobile, li.level, li.gender, list(li.tags.values_list("name", flat=True))) == (
        "+8613900139000",
        Level.MEMBER,
        Gender.FEMALE,
        ["老客户"],
    )
    assert Customer.objects.get(name="王芳").mobile == "+8613700137000"  # full-width digits
    assert Tag.objects.filter(name="老客户").count() == 1
    entries = TimelineEntry.objects.filter(kind="customers.imported")
    assert sorted(entries.values_list("customer_id", flat=True)) == sorted(
        Customer.objects.values_list("id", flat=True)
    )
    assert {e.actor_id for e in entries} == {supervisor.pk}
    audit_row = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert (audit_row.actor, audit_row.object_id, audit_row.details) == (
        supervisor,
        str(job.pk),
        {"rows": 3, "skipped": 0},
    )
    assert import_files() == []  # the upload is deleted once imported
    assert confirm(client, job).status_code == 302  # a second confirm changes nothing
    assert Customer.objects.count() == 3


def test_imported_customers_take_fresh_ids_and_later_ones_follow(supervisor_client):
    client, _supervisor = supervisor_client
    gone = make_customer("已删除", "13600136000")
    gone_id = gone.pk
    gone.delete()
    job = upload_job(
        client,
        "a.csv",
        csv_bytes([["姓名", "手机"], ["张伟", "13800138000"], ["李娜", "13900139000"]]),
    )

    confirm(client, job)

    imported = sorted(Customer.objects.values_list("id", flat=True))
    assert len(imported) == 2 and imported[0] > gone_id  # an id is never given twice
    assert make_customer("后来者", "13500135000").pk > imported[-1]
    zhang = Customer.objects.get(name="张伟")
    assert list(
        TimelineEntry.objects.filter(customer_id=zhang.pk).values_list("subject_id", "kind", "data")
    ) == [(str(zhang.pk), "customers.imported", {"import_job": job.pk, "row": 2})]


def test_rich_text_and_numbers_typed_in_excel_are_read_as_text(supervisor_client):
    client, _supervisor = supervisor_client
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机", "QQ", "会员卡号"])
    sheet.append(
        [
            CellRichText(TextBlock(InlineFont(b=True), "欧阳"), "娜娜"),
            13800138000.0,
            123456789,
            20260001,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = upload_job(client, "rich.xlsx", buffer.getvalue())
    confirm(client, job)

    customer = Customer.objects.get()
    assert (customer.name, customer.mobile, customer.member_no) == (
        "欧阳娜娜",
        "+8613800138000",
        "20260001",
    )
    assert list(customer.identities.order_by("kind").values_list("kind", "value")) == [
        ("mobile", "+8613800138000"),
        ("qq", "123456789"),
    ]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_and_utf8_with_or_without_bom_keeps_chinese_names(supervisor_client, encoding):
    client, _supervisor = supervisor_client
    content = csv_bytes(
        [
            ["姓名", "手机", "城市", "标签"],
            ["欧阳娜娜", "13800138000", "桂林市", "老客户"],
            ["张三丰", "13900139000", "柳州市", ""],
        ],
        encoding=encoding,
    )

    job = upload_job(client, "名单.csv", content)
    confirm(client, job)

    job.refresh_from_db()
    assert (job.status, job.imported_rows) == (ImportStatus.DONE, 2)
    assert sorted(Customer.objects.values_list("name", "city", "mobile")) == [
        ("张三丰", "柳州市", "+8613900139000"),
        ("欧阳娜娜", "桂林市", "+8613800138000"),
    ]


def test_semicolon_and_tab_separated_csv_is_read(supervisor_client):
    client, _supervisor = supervisor_client
    job = upload_job(client, "tab.csv", "姓名\t手机\n张伟\t13800138000\n".encode())
    assert (job.status, job.valid_rows) == (ImportStatus.CHECKED, 1)


def test_bad_rows_are_reported_one_by_one_and_only_valid_rows_are_imported(supervisor_client):
    client, _supervisor = supervisor_client
    content = xlsx_bytes(
        [
            ["姓名", "性别", "手机", "邮箱", "QQ", "会员等级"],
            ["张伟", "男", "13800138000", "", "", ""],  # row 2: fine
            ["", "女", "13900139000", "", "", ""],  # row 3: no name
            ["李娜", "", "123", "", "", ""],  # row 4: bad mobile
            ["王芳", "", "", "", "", ""],  # row 5: no contact point
            ["赵敏", "不详", "13700137000", "bad@", "12", "钻石"],  # row 6: four problems
            [],  # row 7: blank, skipped
            ["孙丽", "", "", "sun.li@example.cn", "", ""],  # row 8: fine
        ]
    )

    job = upload_job(client, "bad.xlsx", content)

    job.refresh_from_db()
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows) == (
        ImportStatus.CHECKED,
        6,
        2,
        4,
    )
    assert report_of(job) == {
        3: [zh("The name is missing.")],
        4: [field_error("Mobile", "mobile", "123")],
        5: [
            zh(
                "No way to reach the customer: fill in at least one of mobile, landline, e-mail, WeChat, QQ or Wangwang."
            )
        ],
        6: [
            zh(
                "%(field)s “%(value)s” is not one of: %(choices)s.",
                field=zh("Gender"),
                value="不详",
                choices="、".join(zh(g) for g in ("Unknown", "Male", "Female")),
            ),
            zh(
                "%(field)s “%(value)s” is not one of: %(choices)s.",
                field=zh("Membership level"),
                value="钻石",
                choices="、".join(zh(g) for g in ("Regular", "Member", "VIP")),
            ),
            field_error("E-mail", "email", "bad@"),
            field_error("QQ", "qq", "12"),
        ],
    }
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert page.count('data-testid="report-row"') == 4
    assert zh("Row %(row)s", row=4) in page

    confirm(client, job)

    job.refresh_from_db()
    assert (job.status, job.imported_rows) == (ImportStatus.DONE, 2)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["孙丽", "张伟"]


def test_duplicates_inside_the_file_and_against_the_archive_are_row_errors(supervisor_client):
    client, _supervisor = supervisor_client
    existing = make_customer("老客户甲", "13700137000")
    content = csv_bytes(
        [
            ["姓名", "手机", "联系电话", "微信"],
            ["张伟", "13800138000", "", "wx_a"],  # row 2: fine
            ["张伟二", "138 0013 8000", "", ""],  # row 3: same mobile as row 2
            [
                "李娜",
                "",
                "13700137000",
                "",
            ],  # row 4: a mobile in the landline column, already in the archive
            ["王芳", "13600136000", "0771-5551234", "wx_a"],  # row 5: same WeChat as row 2
            ["", "13800138000", "", ""],  # row 6: no name, and row 2's mobile: both said
            ["赵敏", "13500135000", "", ""],  # row 7: fine
            ["钱七", "13500135000", "", ""],  # row 8: row 7's mobile (row 6 kept none)
        ]
    )

    job = upload_job(client, "dup.csv", content)

    assert report_of(job) == {
        3: [
            zh(
                "%(kind)s %(value)s is also on row %(row)s of this file.",
                kind=zh("Mobile"),
                value="+8613800138000",
                row=2,
            )
        ],
        4: [
            zh(
                "%(kind)s %(value)s already belongs to customer “%(name)s” (no. %(id)s).",
                kind=zh("Mobile"),
                value="+8613700137000",
                name="老客户甲",
                id=existing.pk,
            )
        ],
        5: [
            zh(
                "%(kind)s %(value)s is also on row %(row)s of this file.",
                kind=zh("WeChat"),
                value="wx_a",
                row=2,
            )
        ],
        6: [
            zh("The name is missing."),
            zh(
                "%(kind)s %(value)s is also on row %(row)s of this file.",
                kind=zh("Mobile"),
                value="+8613800138000",
                row=2,
            ),
        ],
        8: [
            zh(
                "%(kind)s %(value)s is also on row %(row)s of this file.",
                kind=zh("Mobile"),
                value="+8613500135000",
                row=7,
            )
        ],
    }
    confirm(client, job)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["张伟", "老客户甲", "赵敏"]


def test_a_contact_point_taken_between_check_and_confirm_fails_the_whole_import(supervisor_client):
    client, _supervisor = supervisor_client
    job = upload_job(
        client,
        "a.xlsx",
        xlsx_bytes([["姓名", "手机"], ["张伟", "13800138000"], ["李娜", "13900139000"]]),
    )
    assert job.valid_rows == 2
    rival = make_customer("抢先登记", "139 0013 9000")  # an agent captured her meanwhile

    confirm(client, job)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.message == zh(
        "Since the check, row %(row)s changed: %(reason)s Nothing was imported; check the file again to see which rows "
        "can still be imported.",
        row=3,
        reason=zh(
            "%(kind)s %(value)s already belongs to customer “%(name)s” (no. %(id)s).",
            kind=zh("Mobile"),
            value="+8613900139000",
            name="抢先登记",
            id=rival.pk,
        ),
    )
    assert list(Customer.objects.values_list("name", flat=True)) == ["抢先登记"]
    assert not TimelineEntry.objects.filter(kind="customers.imported").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()

    client.post(f"/customers/import/{job.pk}/", {"col_0": "name", "col_1": "mobile"})  # check again

    job.refresh_from_db()
    assert (job.status, job.valid_rows, job.error_rows) == (ImportStatus.CHECKED, 1, 1)
    confirm(client, job)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["张伟", "抢先登记"]


def test_columns_can_be_chosen_by_hand_and_checked_again(supervisor_client):
    client, _supervisor = supervisor_client
    job = upload_job(
        client, "odd.csv", csv_bytes([["客户", "联系方式", "其他"], ["张伟", "13800138000", "x"]])
    )
    assert job.status == ImportStatus.FAILED
    assert job.message == zh(
        "No column holds the name. Choose the name column below and check again."
    )
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'name="col_1"' in page and "13800138000" in page  # the columns with their first values

    response = client.post(f"/customers/import/{job.pk}/", {"col_1": "name", "col_2": "name"})
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED  # refused: name chosen twice
    assert response.status_code == 302

    client.post(f"/customers/import/{job.pk}/", {"col_0": "name", "col_1": "mobile", "col_2": ""})

    job.refresh_from_db()
    assert (job.status, job.mapping, job.valid_rows) == (
        ImportStatus.CHECKED,
        {"0": "name", "1": "mobile"},
        1,
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            [
                "姓名",
                "手机号",
                "电话",
                "电子邮件",
                "QQ号码",
                "旺旺",
                "省",
                "市",
                "区",
                "街道",
                "地址",
                "等级",
                "会员卡号",
                "储值卡号",
                "来源",
                "标签",
                "备注",
            ],
            [
                "name",
                "mobile",
                "phone",
                "email",
                "qq",
                "wangwang",
                "region",
                "city",
                "district",
                "street",
                "address",
                "level",
                "member_no",
                "card_no",
                "source",
                "tags",
                "notes",
            ],
        ),
        (
            [
                "Name",
                " Mobile ",
                "Landline",
                "E-mail",
                "WeChat",
                "Province",
                "City",
                "District",
                "Level",
                "Tags",
                "Notes",
            ],
            [
                "name",
                "mobile",
                "phone",
                "email",
                "wechat",
                "region",
                "city",
                "district",
                "level",
                "tags",
                "notes",
            ],
        ),
        (
            ["姓名（必填）", "手机1", "手机2", "姓名", "消费卡号", "座机", "未知列"],
            ["name", "mobile", "mobile", None, "card_no", "phone", None],
        ),
    ],
)
def test_the_mapping_is_guessed_from_chinese_and_english_headers(header, expected):
    mapping = columns.guess_mapping(header)
    assert [mapping.get(str(i)) for i in range(len(header))] == expected


# --- bad files: a clear answer and the archive unchanged -----------------------------------------


def assert_refused(client, name: str, content: bytes, message: str) -> None:
    before = Customer.objects.count()
    response = upload(client, name, content)
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert import_files() == []
    assert Customer.objects.count() == before


def test_a_file_over_20_mb_is_refused_before_reading(supervisor_client):
    client, _supervisor = supervisor_client
    row = "张伟,13800138000," + "备" * 60 + "\n"
    content = ("姓名,手机,备注\n" + row * (21 * 1024 * 1024 // len(row.encode()) + 1)).encode()
    assert len(content) > 21 * 1024 * 1024
    assert_refused(
        client,
        "big.csv",
        content,
        zh(
            "The file is larger than 20 MB. Split it into smaller files and import them one by one."
        ),
    )


def test_a_zip_bomb_named_xlsx_is_refused(supervisor_client):
    client, _supervisor = supervisor_client
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (40 * 1024 * 1024))  # 40 MB in ~40 KB
    content = buffer.getvalue()
    assert len(content) < 200 * 1024
    assert_refused(
        client,
        "bomb.xlsx",
        content,
        zh(
            "This file would unpack to far more data than a spreadsheet of its size holds (a possible zip bomb), so it "
            "was refused. Save the sheet again as .xlsx."
        ),
    )


def test_an_xlsx_that_is_a_text_file_or_another_zip_is_refused(supervisor_client):
    client, _supervisor = supervisor_client
    message = zh(
        "This file is not an Excel spreadsheet (.xlsx), though its name says so. Open it in Excel and save it "
        "as .xlsx again."
    )
    assert_refused(client, "fake.xlsx", "姓名,手机\n张伟,13800138000\n".encode(), message)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert_refused(client, "letter.xlsx", buffer.getvalue(), message)


def test_a_damaged_xlsx_fails_the_check_with_a_clear_message(supervisor_client):
    client, _supervisor = supervisor_client
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not closed")
    job = upload_job(client, "damaged.xlsx", buffer.getvalue())
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        zh(
            "This file is not an Excel spreadsheet (.xlsx), though its name says so. Open it in Excel and save it as .xlsx again."
        ),
    )
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "old.xls",
            "Old .xls files cannot be read. Open the file in Excel, save it as .xlsx and upload that.",
        ),
        (
            "list.txt",
            "Only .xlsx and .csv files can be imported. In Excel, use “Save as” and choose .xlsx or “CSV UTF-8”.",
        ),
    ],
)
def test_other_file_types_are_refused(supervisor_client, name, message):
    client, _supervisor = supervisor_client
    assert_refused(client, name, b"anything", zh(message))


def test_a_binary_file_named_csv_is_refused(supervisor_client):
    client, _supervisor = supervisor_client
    assert_refused(
        client,
        "photo.csv",
        bytes(range(256)) * 40,
        zh(
            "The CSV file's characters could not be read. Save it as “CSV UTF-8” or as .xlsx and upload again."
        ),
    )


def test_an_upload_without_a_file_says_what_to_do(supervisor_client):
    client, _supervisor = supervisor_client
    response = client.post("/customers/import/", {})
    assert zh("Choose a .xlsx or .csv file to upload.") in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "empty.xlsx",
            xlsx_bytes([]),
            "The sheet is empty. Put the column names (name, mobile…) in the first row and "
            "one customer per row below.",
        ),
        (
            "header.xlsx",
            xlsx_bytes([["姓名", "手机"]]),
            "The file has column names but no customer rows.",
        ),
        (
            "empty.csv",
            b"\n\n",
            "The sheet is empty. Put the column names (name, mobile…) in the first row and "
            "one customer per row below.",
        ),
    ],
)
def test_an_empty_sheet_fails_with_a_clear_message(supervisor_client, name, content, message):
    client, _supervisor = supervisor_client
    job = upload_job(client, name, content)
    assert (job.status, job.message) == (ImportStatus.FAILED, zh(message))
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert zh(message) in page and 'data-testid="confirm-import"' not in page
    assert Customer.objects.count() == 0


def test_an_empty_file_is_refused_at_upload(supervisor_client):
    client, _supervisor = supervisor_client
    assert_refused(
        client,
        "nothing.csv",
        b"",
        zh(
            "The sheet is empty. Put the column names (name, mobile…) in the first row and one customer per row below."
        ),
    )


def test_more_than_200000_rows_is_refused(supervisor_client, monkeypatch):
    client, _supervisor = supervisor_client
    monkeypatch.setattr(checking, "MAX_ROWS", 3)  # the same path as 200,001 rows, quicker
    rows = [["姓名", "手机"]] + [[f"客户{i}", f"1380013800{i}"] for i in range(4)]
    job = upload_job(client, "many.csv", csv_bytes(rows))
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        zh(
            "The file has more than 200,000 rows. Split it into smaller files and import them one by one."
        ),
    )
    assert Customer.objects.count() == 0


def test_20000_bad_rows_are_counted_the_report_is_capped_and_nothing_is_imported(supervisor_client):
    client, _supervisor = supervisor_client
    rows = [["姓名", "手机"]] + [[f"客户{i}", f"12{i:05d}"] for i in range(20_000)]

    job = upload_job(client, "bad.csv", csv_bytes(rows))

    assert (job.status, job.total_rows, job.valid_rows, job.error_rows, len(job.report)) == (
        ImportStatus.CHECKED,
        20_000,
        0,
        20_000,
        1_000,
    )
    assert job.report[0] == {
        "row": 2,
        "name": "客户0",
        "errors": [field_error("Mobile", "mobile", "1200000")],
    }
    assert job.report[-1]["row"] == 1_001
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'data-testid="confirm-import"' not in page
    assert page.count('data-testid="report-row"') == 1_000
    response = confirm(client, job)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert Customer.objects.count() == 0


def test_hostile_and_emoji_names_are_stored_as_text_and_shown_escaped(supervisor_client):
    client, _supervisor = supervisor_client
    names = [s for s in HOSTILE_STRINGS if s.strip()] + ["🐼熊猫 𠀀"]
    rows = [["姓名", "手机"]] + [[name, f"1380013{i:04d}"] for i, name in enumerate(names)]
    rows.append(["<script>alert('row')</script>", "not a phone"])  # an error row shows the name too
    job = upload_job(client, "<img src=x onerror=alert(1)>客户.csv", csv_bytes(rows))
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert "&lt;script&gt;alert(&#x27;row&#x27;)&lt;/script&gt;" in page
    assert "<script>alert('row')" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;客户.csv" in page and "<img src=x" not in page

    confirm(client, job)

    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(
        n.strip() for n in names
    )
    listing = client.get("/customers/?q=%3Cscript").content.decode()
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in listing
        and "<script>alert('x')" not in listing
    )


def test_a_nul_byte_in_a_csv_cell_is_dropped(supervisor_client):
    client, _supervisor = supervisor_client
    job = upload_job(client, "nul.csv", "姓名,手机\n张\x00伟,13800138000\n".encode())
    confirm(client, job)
    assert list(Customer.objects.values_list("name", flat=True)) == ["张伟"]


def test_cancelling_removes_the_upload_and_imports_nothing(supervisor_client):
    client, _supervisor = supervisor_client
    job = upload_job(client, "a.csv", csv_bytes([["姓名", "手机"], ["张伟", "13800138000"]]))
    assert len(import_files()) == 4  # the upload, its columns, its valid rows, their contact points

    response = client.post(f"/customers/import/{job.pk}/cancel/")

    assert response["Location"] == "/customers/import/"
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    assert import_files() == []
    assert confirm(client, job).status_code == 302
    assert Customer.objects.count() == 0


def test_the_page_polls_while_checking_and_reloads_when_done(supervisor_client):
    client, supervisor = supervisor_client
    job = ImportJob.objects.create(
        created_by=supervisor,
        file_name="a.csv",
        stored_path="imports/x.csv",
        status=ImportStatus.CHECKING,
        total_rows=2000,
        processed_rows=500,
    )
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and f"/customers/import/{job.pk}/?part=progress" in page
    fragment = client.get(f"/customers/import/{job.pk}/?part=progress", HTTP_HX_REQUEST="true")
    assert (
        'hx-trigger="every 1s"' in fragment.content.decode()
        and 'style="width: 25%"' in fragment.content.decode()
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKED)
    done = client.get(f"/customers/import/{job.pk}/?part=progress", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_the_import_emits_one_event(supervisor_client, django_capture_on_commit_callbacks):
    client, supervisor = supervisor_client
    job = upload_job(
        client,
        "a.csv",
        csv_bytes([["姓名", "手机"], ["张伟", "13800138000"], ["李娜", "13900139000"]]),
    )
    received = []
    subscribe(CustomersImported, received.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            confirm(client, job)
    finally:
        unsubscribe(CustomersImported, received.append)
    assert received == [CustomersImported(job_id=job.pk, count=2, imported_by_id=supervisor.pk)]


# --- who may ----------------------------------------------------------------------------------------


def test_an_agent_cannot_import(client_for):
    client, _agent = client_for(Role.AGENT)
    assert client.get("/customers/import/").status_code == 403
    response = upload(client, "a.csv", csv_bytes([["姓名", "手机"], ["张伟", "13800138000"]]))
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0 and import_files() == []


def test_a_job_is_seen_only_by_its_creator_and_managers(client_for, supervisor_client):
    owner_client, _owner = supervisor_client
    job = upload_job(owner_client, "a.csv", csv_bytes([["姓名", "手机"], ["张伟", "13800138000"]]))
    other_supervisor, _ = client_for(Role.SUPERVISOR)
    agent, _ = client_for(Role.AGENT)
    manager, _ = client_for(Role.MANAGER)

    for client in (other_supervisor, agent):
        assert client.get(f"/customers/import/{job.pk}/").status_code == 404
        assert confirm(client, job).status_code == 404
        assert client.post(f"/customers/import/{job.pk}/cancel/").status_code == 404
        assert (
            client.get(f"/customers/import/{job.pk + 1000}/").status_code == 404
        )  # same as missing
    assert "a.csv" not in other_supervisor.get("/customers/import/").content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and Customer.objects.count() == 0
    assert (
        AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED, object_id=str(job.pk)).count()
        == 6
    )

    assert manager.get(f"/customers/import/{job.pk}/").status_code == 200
    assert "a.csv" in manager.get("/customers/import/").content.decode()


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_the_api_uploads_checks_and_confirms(supervisor_client):
    client, _supervisor = supervisor_client
    content = xlsx_bytes([["姓名", "手机"], ["张伟", "13800138000"], ["李娜", "123"]])

    created = client.post(API, {"file": SimpleUploadedFile("a.xlsx", content)})

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["total_rows"], body["valid_rows"], body["error_rows"]) == (
        "checked",
        2,
        1,
        1,
    )
    assert body["errors"] == [
        {"row": 3, "name": "李娜", "errors": [field_error("Mobile", "mobile", "123")]}
    ]
    assert client.get(f"{API}/{body['id']}").json()["status"] == "checked"
    assert Customer.objects.count() == 0

    wrong = client.post(
        f"{API}/{body['id']}/confirm", {"valid_rows": 2}, content_type="application/json"
    )
    assert wrong.status_code == 409 and Customer.objects.count() == 0
    done = client.post(
        f"{API}/{body['id']}/confirm", {"valid_rows": 1}, content_type="application/json"
    )

    assert (done.status_code, done.json()["status"], done.json()["imported_rows"]) == (
        200,
        "done",
        1,
    )
    assert list(Customer.objects.values_list("name", flat=True)) == ["张伟"]


@pytest.mark.urls(__name__)
def test_the_api_refuses_bad_files_and_other_peoples_jobs(client_for, supervisor_client):
    client, _supervisor = supervisor_client
    refused = client.post(API, {"file": SimpleUploadedFile("fake.xlsx", b"hello")})
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": zh(
            "This file is not an Excel spreadsheet (.xlsx), though its name says so. "
            "Open it in Excel and save it as .xlsx again."
        )
    }
    job = client.post(
        API,
        {
            "file": SimpleUploadedFile(
                "a.csv", csv_bytes([["姓名", "手机"], ["张伟", "13800138000"]])
            )
        },
    ).json()
    agent, _ = client_for(Role.AGENT)
    other, _ = client_for(Role.SUPERVISOR)
    assert agent.post(API, {"file": SimpleUploadedFile("a.csv", b"x")}).status_code == 403
    assert other.get(f"{API}/{job['id']}").status_code == 404
    assert (
        other.post(
            f"{API}/{job['id']}/confirm", {"valid_rows": 1}, content_type="application/json"
        ).status_code
        == 404
    )
    assert ImportJob.objects.count() == 1 and Customer.objects.count() == 0


# --- exporting ------------------------------------------------------------------------------------


def read_xlsx(response) -> list[list]:
    workbook = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content)), read_only=True
    )
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def read_csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def archive():
    nanning = make_customer(
        "张伟", "13800138000", city="南宁市", email="zhang.wei@example.com", phone="0771-5551234"
    )
    nanning.tags.add(Tag.objects.create(name="老客户"))
    make_customer("李娜", "13900139000", city="南宁市", level=Level.VIP)
    make_customer("王芳", "13700137000", city="广州市")
    return nanning


def column(rows: list[list], title: str) -> list:
    index = rows[0].index(zh(title))
    return [row[index] for row in rows[1:]]


def test_export_follows_the_list_filters_and_is_audited(client_for, archive):
    client, supervisor = client_for(Role.SUPERVISOR)

    response = client.get("/customers/export/?city=南宁市&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert column(rows, "Name") == ["李娜", "张伟"]  # the list's order: newest first
    assert column(rows, "Tags") == ["", "老客户"]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.actor, entry.object_type, entry.details) == (
        supervisor,
        "customers",
        {"rows": 2, "filters": {"city": "南宁市"}, "format": "csv", "full_values": False},
    )

    vip = read_xlsx(client.get("/customers/export/?city=南宁市&level=vip"))
    assert column(vip, "Name") == ["李娜"]
    assert column(read_xlsx(client.get("/customers/export/?q=8000")), "Name") == ["张伟"]


def test_export_masks_even_for_a_role_with_the_reveal_right(client_for, archive):
    """A supervisor may reveal one value on a page (audited), but a file of many is masked: full
    values are a separate export (kefu/customers/tests/test_export.py)."""
    client, _supervisor = client_for(Role.SUPERVISOR)
    rows = read_xlsx(client.get("/customers/export/?q=张伟"))
    assert (column(rows, "Mobile"), column(rows, "Landline"), column(rows, "E-mail")) == (
        ["138****8000"],
        ["077****1234"],
        ["z***@example.com"],
    )
    assert "13800138000" not in str(rows) and "zhang.wei" not in str(rows)


def test_export_masks_for_a_role_without_the_reveal_right(client_for, archive, monkeypatch):
    monkeypatch.setitem(
        ROLE_PERMISSIONS, Role.INSPECTOR, frozenset({Perm.ASSIGN_WORK, Perm.EXPORT_DATA})
    )
    client, _inspector = client_for(Role.INSPECTOR)
    rows = read_xlsx(client.get("/customers/export/?q=张伟"))
    assert (column(rows, "Mobile"), column(rows, "Landline"), column(rows, "E-mail")) == (
        ["138****8000"],
        ["077****1234"],
        ["z***@example.com"],
    )
    body = str(rows)
    assert "13800138000" not in body and "138 0013 8000" not in body and "zhang.wei" not in body


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_neutralises_spreadsheet_formulas(client_for, fmt):
    client, _supervisor = client_for(Role.SUPERVISOR)
    for i, name in enumerate(
        ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tleading tab", "安全"]
    ):
        Customer.objects.create(name=name, notes="=1+2", mobile=f"+86138001380{i:02d}")
    response = client.get(f"/customers/export/?format={fmt}")
    rows = read_xlsx(response) if fmt == "xlsx" else read_csv(response)
    assert sorted(column(rows, "Name")) == sorted(
        ['\'=HYPERLINK("http://evil","x")', "'+1+1", "'-2+3", "'@SUM(A1)", "'\tleading tab", "安全"]
    )
    assert set(column(rows, "Notes")) == {"'=1+2"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [("\rcr", "'\rcr"), ("=1", "'=1"), ("a=1", "a=1"), ("", ""), ("张-1", "张-1")],
)
def test_neutralise(text, shown):
    assert neutralise(text) == shown


def test_export_needs_the_export_right(client_for, archive):
    client, _agent = client_for(Role.AGENT)
    assert client.get("/customers/export/").status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_export_over_the_cap_is_refused_with_a_message(client_for, archive, monkeypatch):
    monkeypatch.setitem(registry._KINDS, "customers", replace(exports.CUSTOMERS, max_rows=2))
    client, _supervisor = client_for(Role.SUPERVISOR)
    response = client.get("/customers/export/?level=&format=csv", follow=True)
    assert response.redirect_chain[0][0] == "/customers/?level="
    assert (
        zh(
            "The list has more than %(max)s customers; narrow it with the filters (city, level, tag…) and export "
            "each part.",
            max="2",
        )
        in response.content.decode()
    )
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_exported_file_imports_back(client_for, archive):
    """The export's column names are ones the import recognises."""
    client, _supervisor = client_for(Role.SUPERVISOR)
    rows = read_xlsx(client.get("/customers/export/"))
    mapping = columns.guess_mapping([str(v) for v in rows[0]])
    assert sorted(mapping.values()) == sorted(
        [
            "name",
            "gender",
            "mobile",
            "phone",
            "email",
            "wechat",
            "qq",
            "wangwang",
            "region",
            "city",
            "district",
            "street",
            "address",
            "level",
            "member_no",
            "card_no",
            "source",
            "tags",
            "notes",
        ]
    )


def test_an_erasure_blanks_a_kept_files_rows_or_drops_a_file_it_cannot_read(tmp_path):
    """kefu/core/personal_data.py, files kept on disk: the rows holding one of the customer's
    contact points are blanked in place (the others keep their numbers); a file with a row no
    check could read is dropped whole if it holds one, and left alone if not."""
    from kefu.customers.services.transfer.files import blank_rows

    terms = frozenset({"13912345678"})
    kept = tmp_path / "a.csv"
    kept.write_bytes(csv_bytes([["姓名", "手机"], ["张伟", "13912345678"], ["王五", "137"]]))
    assert blank_rows(kept, terms) == {2}
    assert kept.read_text(encoding="utf-8-sig").splitlines() == ["姓名,手机", ",", "王五,137"]
    assert blank_rows(kept, terms) == set()  # nothing left to blank: the file is not rewritten

    too_long = '"' + "长" * 140_000 + '",137\n'  # over the CSV reader's cell limit
    broken = tmp_path / "b.csv"
    broken.write_text("姓名,手机\n张伟,13912345678\n" + too_long, encoding="utf-8")
    other = tmp_path / "c.csv"
    other.write_text("姓名,手机\n" + too_long, encoding="utf-8")
    assert (blank_rows(broken, terms), broken.exists()) == ({1}, False)
    assert (blank_rows(other, terms), other.exists()) == (set(), True)
