"""Issue 9.13: the call scripts are records managers edit (settings page, audited), not code; the
demo's are the seeds' lines, the return visit's 回访用语 with its 打扰您了 opening and its 满意 /
不满意·一般 branches; only variables kefu fills are offered."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.telephony.demo import build
from kefu.telephony.models import CallScript

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_chinese():
    with translation.override("zh-hans"):
        yield


def test_the_demo_s_return_visit_script_is_the_seeds_and_shows_its_branches(cast, customer):
    build(password="x", count=0)
    client = sign_in(Client(), cast.agent)
    page = client.get(f"/telephony/new/?customer={customer.pk}&direction=out").content.decode()
    script = page.split('data-testid="call-script"')[1].split("</ol>")[0]
    assert f"客服{cast.agent}，请问您是张先生／小姐吗？打扰您了。" in script
    assert (
        script.count('data-testid="script-branch"') == 4
    )  # 交流 and 结束, each 满意 / 不满意·一般
    assert "满意" in script and "不满意／一般" in script
    assert "非常谢谢您的反应，这一点我们的确做得不够" in script
    assert "{" not in script  # every variable offered is filled


def test_a_manager_edits_a_script_and_the_change_is_audited(cast, customer, make_user):
    build(password="x", count=0)
    manager = make_user(Role.MANAGER)
    client = sign_in(Client(), manager)
    settings_page = client.get("/settings/call-scripts/").content.decode()
    assert "通话语术" in settings_page and "打扰您了" in settings_page
    text = "## 开场\n您好，我是{agent}，打扰您了。\n## 结束\n[满意] 谢谢，再见！\n[不满意／一般] 我们马上改进，再见！"
    response = client.post("/settings/call-scripts/out/", {"text": text})
    assert response.status_code == 302
    assert CallScript.objects.get(direction="out").text == text
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_CHANGED, actor=manager)
    assert entry.details["change"] == "call_script" and entry.details["after"] == text
    assert "打扰您了" in entry.details["before"]
    agent_page = (
        sign_in(Client(), cast.agent)
        .get(f"/telephony/new/?customer={customer.pk}&direction=out")
        .content.decode()
    )
    assert (
        f"您好，我是{cast.agent}，打扰您了。" in agent_page and "我们马上改进，再见！" in agent_page
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("## 开场\n您好，订单{order_no}已发货。", "{order_no} 不是系统会填写的变量"),
        ("您好", "请以步骤标题开头"),
        ("## 开场\n> 只有提示", "没有要说的话"),
        ("", "语术是空的"),
    ],
)
def test_a_bad_script_is_refused_with_its_reason_and_the_text_kept(text, error, make_user):
    client = sign_in(Client(), make_user(Role.MANAGER))
    response = client.post("/settings/call-scripts/in/", {"text": text})
    body = response.content.decode()
    assert response.status_code == 400 and error in body
    if text:
        assert escape(text.split("\n")[-1]) in body  # what the manager typed is still there
    assert not CallScript.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR])
def test_only_managers_edit_scripts(role, make_user):
    client = sign_in(Client(), make_user(role))
    assert client.get("/settings/call-scripts/").status_code == 403
    assert client.post("/settings/call-scripts/in/", {"text": "## 开场\n您好"}).status_code == 403
    assert not CallScript.objects.exists()


def test_without_a_script_the_call_form_says_who_writes_one(cast, customer):
    page = sign_in(Client(), cast.agent).get("/telephony/new/?direction=in").content.decode()
    assert 'data-testid="no-script"' in page and "经理" in page
