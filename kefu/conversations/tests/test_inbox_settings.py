"""Managers set up a chat inbox and get the line to paste into their site."""

import pytest
from django.test import Client
from django.utils import translation

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def test_a_manager_creates_an_inbox_and_gets_its_script_tag(make_user):
    client = sign_in(Client(), make_user(Role.MANAGER))
    assert 'href="/settings/inboxes/"' in client.get("/settings/").content.decode()
    response = client.post(
        "/settings/inboxes/new/",
        {
            "name": "官网在线客服",
            "greeting": "您好，欢迎咨询！",
            "origins": "https://Shop.Example.cn/\nhttps://shop.example.cn",
            "auto_close_minutes": 30,
            "is_presales": "on",
        },
        follow=True,
    )
    inbox = Inbox.objects.get()
    assert (inbox.allowed_origins, inbox.is_presales, inbox.greeting) == (
        ["https://shop.example.cn"],
        True,
        "您好，欢迎咨询！",
    )
    page = response.content.decode()
    assert (
        f"data-inbox=&quot;{inbox.public_key}&quot;" in page and "/static/kefu/widget.js" in page
    )  # shown as text
    assert inbox.secret not in page  # the identity secret is not shown on the page


@pytest.mark.parametrize(
    "origin",
    ["shop.example.cn", "javascript:alert(1)", "https://shop.example.cn/path", "ftp://x.cn"],
)
def test_an_origin_that_is_not_a_site_address_is_refused(make_user, origin):
    client = sign_in(Client(), make_user(Role.MANAGER))
    response = client.post(
        "/settings/inboxes/new/", {"name": "x", "origins": origin, "auto_close_minutes": 30}
    )
    assert response.status_code == 200 and "不是网站地址" in response.content.decode()
    assert not Inbox.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_only_managers_set_up_inboxes(make_user, role):
    client = sign_in(Client(), make_user(role))
    assert client.get("/settings/inboxes/").status_code == 403
    assert (
        client.post("/settings/inboxes/new/", {"name": "x", "auto_close_minutes": 30}).status_code
        == 403
    )
    assert not Inbox.objects.exists()


def test_saving_an_inbox_is_audited_and_needs_the_settings_right(make_user):
    from kefu.accounts.models import AuditAction, AuditEntry
    from kefu.conversations.services.inboxes import save_inbox
    from kefu.core.errors import PermissionRefused

    manager = make_user(Role.MANAGER)
    inbox = save_inbox(
        actor=manager, inbox=None, origins=["https://a.cn/"], name="官网", auto_close_minutes=30
    )
    entry = AuditEntry.objects.get(action=AuditAction.INBOX_CHANGED, object_id=str(inbox.pk))
    assert entry.details["allowed_origins"] == ["https://a.cn"]
    with pytest.raises(PermissionRefused):
        save_inbox(actor=make_user(Role.SUPERVISOR), inbox=inbox, origins=[], name="改名")
    inbox.refresh_from_db()
    assert (inbox.name, inbox.allowed_origins) == ("官网", ["https://a.cn"])
