"""Order files with the archive's import rules: dry run, all or nothing, GBK (issue 15 item 1)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.errors import DomainError, PermissionRefused
from kefu.customers.services.transfer.readers import ImportRefused
from kefu.orders.models import ImportStatus, Order
from kefu.orders.services import importing

pytestmark = pytest.mark.django_db

HEADER = [
    "平台",
    "订单号",
    "买家旺旺",
    "收货人",
    "手机",
    "收货地址",
    "商品编码",
    "商品名称",
    "属性",
    "数量",
    "单价",
    "订单金额",
    "实付金额",
    "支付方式",
    "状态",
    "物流公司",
    "运单号",
]
ROWS = [
    [
        "淘宝",
        "T1001",
        "灯饰控小王",
        "王芳",
        "13800138000",
        "广西南宁市青秀区1号",
        "LD-101",
        "北欧吊灯",
        "颜色分类:暖白",
        "2",
        "128.00",
        "296.00",
        "296.00",
        "支付宝",
        "已付款",
        "",
        "",
    ],
    [
        "淘宝",
        "T1001",
        "灯饰控小王",
        "王芳",
        "13800138000",
        "广西南宁市青秀区1号",
        "LD-205",
        "LED灯泡",
        "",
        "4",
        "10.00",
        "296.00",
        "296.00",
        "支付宝",
        "已付款",
        "",
        "",
    ],
    [
        "天猫",
        "M2002",
        "别人",
        "李雷",
        "13900139000",
        "广西桂林市",
        "TD-9",
        "台灯",
        "",
        "1",
        "59.9",
        "59.90",
        "59.90",
        "微信支付",
        "已发货",
        "顺丰",
        "SF100",
    ],
]


def csv_upload(rows, *, encoding="utf-8", name="orders.csv"):
    text = "\n".join(",".join(r) for r in [HEADER, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(encoding))


def xlsx_upload(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("orders.xlsx", out.getvalue())


def test_a_gbk_csv_is_checked_then_imported_whole(cast, customer):
    job = importing.check_order_file(actor=cast.supervisor, upload=csv_upload(ROWS, encoding="gbk"))
    assert (job.status, job.total_rows, job.order_count, job.new_orders, job.error_rows) == (
        ImportStatus.CHECKED,
        3,
        2,
        2,
        0,
    )
    assert not Order.objects.exists()  # the dry run writes nothing
    job = importing.confirm_order_import(actor=cast.supervisor, job=job, order_count=2)
    assert job.status == ImportStatus.IMPORTED
    first = Order.objects.get(number="T1001")
    assert first.customer_id == customer.pk and first.amount_fen == 29600
    assert sorted(first.items.values_list("sku", "quantity")) == [("LD-101", 2), ("LD-205", 4)]
    second = Order.objects.get(number="M2002")
    assert second.state == "shipped" and second.tracking_number == "SF100"
    assert second.items.get().price_fen == 5990


def test_an_xlsx_file_imports_and_again_is_idempotent(cast):
    job = importing.check_order_file(actor=cast.supervisor, upload=xlsx_upload(ROWS))
    importing.confirm_order_import(actor=cast.supervisor, job=job, order_count=2)
    again = importing.check_order_file(actor=cast.supervisor, upload=xlsx_upload(ROWS))
    assert again.new_orders == 0
    importing.confirm_order_import(actor=cast.supervisor, job=again, order_count=2)
    assert Order.objects.count() == 2


def test_one_bad_row_imports_nothing(cast):
    bad = [
        *ROWS,
        ["淘宝", "T3003", "", "", "", "", "X", "吊灯", "", "1", "12.345", "", "", "", "", "", ""],
    ]
    job = importing.check_order_file(actor=cast.supervisor, upload=csv_upload(bad))
    assert job.error_rows == 1 and job.report[0]["row"] == 5
    assert "12.345" in job.report[0]["errors"][0]
    with pytest.raises(DomainError):
        importing.confirm_order_import(actor=cast.supervisor, job=job, order_count=job.order_count)
    assert not Order.objects.exists()


def test_a_conflict_during_the_import_rolls_everything_back(cast, make_order):
    make_order(platform="tmall", number="M2002", state="received")  # the file says shipped
    job = importing.check_order_file(actor=cast.supervisor, upload=csv_upload(ROWS))
    job = importing.confirm_order_import(actor=cast.supervisor, job=job, order_count=2)
    assert job.status == ImportStatus.FAILED and "M2002" in job.message
    assert list(Order.objects.values_list("number", flat=True)) == ["M2002"]
    with pytest.raises(DomainError):  # a failed import is not confirmed again
        importing.confirm_order_import(actor=cast.supervisor, job=job, order_count=2)


def test_files_that_are_not_sheets_are_refused(cast):
    with pytest.raises(ImportRefused):
        importing.check_order_file(
            actor=cast.supervisor, upload=SimpleUploadedFile("orders.xls", b"\xd0\xcf\x11\xe0")
        )
    with pytest.raises(ImportRefused):
        importing.check_order_file(
            actor=cast.supervisor, upload=SimpleUploadedFile("orders.xlsx", b"not a zip")
        )
    with pytest.raises(ImportRefused):
        importing.check_order_file(
            actor=cast.supervisor,
            upload=SimpleUploadedFile("orders.csv", "名字,电话\n张三,1\n".encode()),
        )


def test_agents_may_not_import(cast):
    with pytest.raises(PermissionRefused):
        importing.check_order_file(actor=cast.agent, upload=csv_upload(ROWS))


def test_the_import_pages(cast, customer, signed_in):
    client = signed_in(cast.supervisor)
    response = client.post("/orders/import/", {"file": csv_upload(ROWS, encoding="gbk")})
    assert response.status_code == 302
    job_url = response["Location"]
    page = client.get(job_url).content.decode()
    assert 'data-testid="confirm-import"' in page
    client.post(job_url, {"action": "confirm", "order_count": "2"})
    assert Order.objects.count() == 2
    refused = client.post("/orders/import/", {"file": SimpleUploadedFile("a.xls", b"x")})
    assert refused.status_code == 200 and "xlsx" in refused.content.decode()
    assert signed_in(cast.agent).get(job_url).status_code == 403
