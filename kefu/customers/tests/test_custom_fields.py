"""Custom fields 自定义字段: managers define them on a settings page; every customer record shows and
takes them; the archive's search finds customers by them."""

import pytest
from django.utils.html import escape

from conftest import HOSTILE_STRINGS
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.customers.models import Customer, CustomField

pytestmark = pytest.mark.django_db

PAGE = "/settings/customer-fields/"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMINISTRATOR, 200),
        (Role.MANAGER, 200),
        (Role.SUPERVISOR, 403),
        (Role.AGENT, 403),
        (Role.INSPECTOR, 403),
        (Role.DEPARTMENT_STAFF, 403),
    ],
)
def test_only_those_who_manage_settings_open_the_page_or_add_a_field(client_for, role, status):
    client, _user = client_for(role)
    assert client.get(PAGE).status_code == status
    client.post(PAGE + "add/", {"label": "会员卡号", "field_type": "text"})
    assert CustomField.objects.filter(label="会员卡号").exists() == (status == 200)


def test_the_settings_index_links_the_page_for_managers(client_for):
    client, _manager = client_for(Role.MANAGER)
    html = client.get("/settings/").content.decode()
    assert PAGE in html and "客户自定义字段" in html


def test_a_manager_defines_fields_and_every_customer_form_and_page_shows_them(client_for):
    client, manager = client_for(Role.MANAGER)
    response = client.post(
        PAGE + "add/",
        {"label": "购买渠道", "field_type": "choice", "choices": "天猫\n京东、线下门店"},
        follow=True,
    )
    assert "已添加字段" in response.content.decode()
    field = CustomField.objects.get(label="购买渠道")
    assert field.choices == ["天猫", "京东", "线下门店"] and field.code == f"f{field.pk}"
    assert AuditEntry.objects.filter(
        action=AuditAction.SETTINGS_CHANGED, object_id=str(field.pk), actor=manager
    ).exists()

    form = client.get("/customers/new/").content.decode()
    assert "购买渠道" in form and "线下门店" in form
    customer = Customer.objects.create(name="张伟", custom={field.code: "京东"})
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "购买渠道" in page and "京东" in page


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"label": "", "field_type": "text"}, "字段名称"),
        ({"label": "渠道", "field_type": "choice", "choices": "  \n "}, "至少需要一个选项"),
        ({"label": "x" * 41, "field_type": "text"}, "40"),
    ],
)
def test_bad_definitions_are_refused_with_a_message_and_nothing_is_added(client_for, post, message):
    client, _manager = client_for(Role.MANAGER)
    html = client.post(PAGE + "add/", post, follow=True).content.decode()
    assert message in html
    assert not CustomField.objects.exists()


def test_two_fields_cannot_share_a_name(client_for):
    client, _manager = client_for(Role.MANAGER)
    client.post(PAGE + "add/", {"label": "生日", "field_type": "date"})
    html = client.post(PAGE + "add/", {"label": "生日", "field_type": "text"}, follow=True)
    assert "已有名为“生日”的字段" in html.content.decode()
    assert CustomField.objects.count() == 1


def test_a_manager_renames_reorders_and_removes_a_field(client_for):
    client, _manager = client_for(Role.MANAGER)
    field = CustomField.objects.create(
        code="f1", label="渠道", field_type="choice", choices=["天猫"]
    )
    client.post(
        f"{PAGE}{field.pk}/", {"label": "购买渠道", "choices": "天猫\n拼多多", "position": "7"}
    )
    field.refresh_from_db()
    assert (field.label, field.choices, field.position) == ("购买渠道", ["天猫", "拼多多"], 7)
    client.post(f"{PAGE}{field.pk}/remove/")
    assert not CustomField.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.SETTINGS_CHANGED).count() == 2


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_a_hostile_field_name_is_shown_as_text(client_for, hostile):
    client, _manager = client_for(Role.MANAGER)
    label = " ".join(hostile.split())[:40]
    field = CustomField.objects.create(code="f1", label=label or "x", field_type="text")
    html = client.get(PAGE).content.decode()
    assert escape(field.label) in html
    if "<" in field.label:
        assert field.label not in html


def test_the_archive_search_finds_customers_by_a_custom_field(client_for, make_user):
    client, _supervisor = client_for(Role.SUPERVISOR)
    card = CustomField.objects.create(code="f1", label="会员卡号", field_type="text")
    channel = CustomField.objects.create(
        code="f2", label="购买渠道", field_type="choice", choices=["天猫", "京东"]
    )
    first = Customer.objects.create(name="张伟", custom={"f1": "VIP-0088", "f2": "天猫"})
    second = Customer.objects.create(name="李娜", custom={"f1": "VIP-1234", "f2": "京东"})
    Customer.objects.create(name="王芳")

    html = client.get("/customers/").content.decode()
    assert 'data-testid="custom-field-filter"' in html and "会员卡号" in html

    def found(**query) -> set[str]:
        html = client.get("/customers/", query).content.decode()
        return {name for name in ("张伟", "李娜", "王芳") if f">{name}</a>" in html}

    assert found(field=card.code, field_value="0088") == {"张伟"}
    assert found(field=channel.code, field_value="京东") == {"李娜"}
    assert found(field=channel.code, field_value="京") == set()  # a choice matches whole
    assert found(field="f999", field_value="x") == {"张伟", "李娜", "王芳"}  # unknown: ignored
    assert second.pk and first.pk


def test_the_export_carries_the_custom_fields_and_follows_their_filter(client_for):
    import io

    import openpyxl

    client, _manager = client_for(Role.MANAGER)
    CustomField.objects.create(code="f1", label="会员卡号", field_type="text")
    Customer.objects.create(name="张伟", custom={"f1": "VIP-0088"})
    Customer.objects.create(name="李娜", custom={"f1": "VIP-1234"})
    response = client.get("/customers/export/", {"field": "f1", "field_value": "0088"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header, data = rows[0], rows[1:]
    assert header[-1] == "自定义字段"
    assert [(r[1], r[-1]) for r in data] == [("张伟", "会员卡号：VIP-0088")]
