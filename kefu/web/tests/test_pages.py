"""The app shell: Chinese navigation by role, error pages in Chinese, language switch, demo data."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory

from conftest import sign_in
from kefu.accounts.models import Department, User
from kefu.accounts.roles import Role
from kefu.web.views import server_error

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> list[tuple[str, str]]:
    """The entries of the page's navigation bar as (url, label), in order; an entry in a group's
    menu is labelled "group/entry"."""
    bar = re.search(r'<ul class="navbar-nav" data-testid="main-nav">(.*?)</ul>', html, re.S)
    assert bar, "no navigation bar"
    links = []
    for item in re.findall(r'<li class="nav-item.*?</li>', bar.group(1), re.S):
        group = re.search(r'data-nav-group="[^"]*"><span class="nav-link-title">([^<]*)<', item)
        for url, label in re.findall(
            r'href="([^"]*)" data-nav-entry[^>]*>(?:<span class="nav-link-title">)?([^<]*)<', item
        ):
            links.append((url, f"{group.group(1)}/{label}" if group else label))
    return links


def nav_labels(html: str) -> list[str]:
    return [label for _url, label in nav_links(html)]


def active_nav_label(html: str) -> str | None:
    """The label of the entry the page marks as the one it is under."""
    for url, label in nav_links(html):
        if re.search(rf'href="{re.escape(url)}" data-nav-entry aria-current="page"', html):
            return label
    return None


# The navigation bar per role, as a user reads it: "group/entry" is an entry of a group's menu
# (docs/shell.md). tests/e2e/test_sign_in_journeys.py checks the same in the browser.
NAV_BY_ROLE = {
    Role.AGENT: [
        "工作台",
        "会话",
        "工单",
        "客户",
        "知识库",
        "业务/派工单",
        "业务/回访",
        "业务/反馈与BUG",
        "业务/订单",
        "业务/售后",
        "渠道与工具/通话",
        "渠道与工具/快捷短语",
        "质检与绩效/奖罚评分表",
        "质检与绩效/我的质检",
        "质检与绩效/绩效考核表",
        "质检与绩效/我的班次",
        "质检与绩效/评比排行",
    ],
    Role.SUPERVISOR: [
        "工作台",
        "会话",
        "工单",
        "客户",
        "知识库",
        "业务/派工单",
        "业务/派工看板",
        "业务/回访",
        "业务/反馈与BUG",
        "业务/订单",
        "业务/售后",
        "渠道与工具/通话",
        "渠道与工具/短信",
        "渠道与工具/快捷短语",
        "质检与绩效/奖罚评分表",
        "质检与绩效/质检",
        "质检与绩效/我的质检",
        "质检与绩效/绩效考核表",
        "质检与绩效/排班表",
        "质检与绩效/我的班次",
        "质检与绩效/评比排行",
        "质检与绩效/表扬与投诉成立",
        "数据报表/报表",
        "数据报表/实时看板",
    ],
    Role.DEPARTMENT_STAFF: [
        "工作台",
        "工单",
        "业务/我的派工",
        "业务/反馈与BUG",
        "业务/售后",
    ],
    Role.INSPECTOR: [
        "工作台",
        "会话",
        "工单",
        "知识库",
        "通话",
        "质检",
        "报表",
    ],
    Role.MANAGER: [
        "工作台",
        "会话",
        "工单",
        "客户",
        "知识库",
        "业务/派工单",
        "业务/派工看板",
        "业务/回访",
        "业务/反馈与BUG",
        "业务/订单",
        "业务/售后",
        "渠道与工具/通话",
        "渠道与工具/短信",
        "渠道与工具/快捷短语",
        "渠道与工具/自动化",
        "质检与绩效/奖罚评分表",
        "质检与绩效/质检",
        "质检与绩效/我的质检",
        "质检与绩效/绩效考核表",
        "质检与绩效/排班表",
        "质检与绩效/我的班次",
        "质检与绩效/评比排行",
        "质检与绩效/表扬与投诉成立",
        "质检与绩效/奖罚规则",
        "数据报表/报表",
        "数据报表/实时看板",
        "个人信息保护",
        "设置",
    ],
    Role.ADMINISTRATOR: [
        "工作台",
        "会话",
        "工单",
        "客户",
        "知识库",
        "业务/派工单",
        "业务/派工看板",
        "业务/我的派工",
        "业务/回访",
        "业务/反馈与BUG",
        "业务/订单",
        "业务/售后",
        "渠道与工具/通话",
        "渠道与工具/短信",
        "渠道与工具/快捷短语",
        "渠道与工具/自动化",
        "质检与绩效/奖罚评分表",
        "质检与绩效/质检",
        "质检与绩效/我的质检",
        "质检与绩效/绩效考核表",
        "质检与绩效/排班表",
        "质检与绩效/我的班次",
        "质检与绩效/评比排行",
        "质检与绩效/表扬与投诉成立",
        "质检与绩效/奖罚规则",
        "数据报表/报表",
        "数据报表/实时看板",
        "个人信息保护",
        "设置",
    ],
}


@pytest.mark.parametrize(("role", "labels"), NAV_BY_ROLE.items())
def test_navigation_by_role_in_chinese(client_for, role, labels):
    client, _user = client_for(role)
    assert nav_labels(client.get("/").content.decode()) == labels


@pytest.mark.parametrize("role", list(NAV_BY_ROLE))
def test_every_navigation_entry_opens_for_the_role_that_sees_it(client_for, role):
    client, _user = client_for(role)
    links = nav_links(client.get("/").content.decode())
    assert [label for _url, label in links] == NAV_BY_ROLE[role]
    for url, label in links:
        response = client.get(url)
        assert response.status_code == 200, (label, url, response.status_code)
        # The page is marked as the active entry of the bar.
        assert active_nav_label(response.content.decode()) == label, (url, label)


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        (
            Role.ADMINISTRATOR,
            [
                "用户与角色",
                "部门与技能组",
                "工作日历",
                "工单分类与时限",
                "客户自定义字段",
                "回访规则",
                "在线客服与邮件渠道",
                "通话语术",
                "报表接收人",
                "审计日志",
            ],
        ),
        (
            Role.MANAGER,
            [
                "用户与角色",
                "部门与技能组",
                "工作日历",
                "工单分类与时限",
                "客户自定义字段",
                "回访规则",
                "在线客服与邮件渠道",
                "通话语术",
                "报表接收人",
                "审计日志",
            ],
        ),
    ],
)
def test_settings_shows_each_apps_sections_to_those_who_may_use_them(client_for, role, sections):
    client, _user = client_for(role)
    html = client.get("/settings/").content.decode()
    assert re.findall(r'<h3 class="card-title mb-1">([^<]*)</h3>', html) == sections


@pytest.mark.parametrize(
    "role", [Role.SUPERVISOR, Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_settings_is_refused_to_those_with_no_section(client_for, role):
    client, _user = client_for(role)
    assert client.get("/settings/").status_code == 403


def test_the_settings_entry_shows_for_every_permission_a_section_asks_for():
    from kefu.web.navigation import SETTINGS_PERMS, collected

    for section in collected("SETTINGS"):
        assert set(section.perms) <= set(SETTINGS_PERMS), section.title


def test_english_is_available_from_the_language_switch(client_for):
    client, _user = client_for(Role.MANAGER)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert nav_labels(client.get("/").content.decode()) == [
        "Workbench",
        "Conversations",
        "Tickets",
        "Customers",
        "Knowledge base",
        "Orders and service/Work orders",
        "Orders and service/Dispatch board",
        "Orders and service/Return visits",
        "Orders and service/Feedback and bugs",
        "Orders and service/Orders",
        "Orders and service/After-sales",
        "Channels and tools/Calls",
        "Channels and tools/SMS",
        "Channels and tools/Canned replies",
        "Channels and tools/Automation",
        "Quality and performance/Reward/penalty sheets",
        "Quality and performance/Quality checks",
        "Quality and performance/My quality reviews",
        "Quality and performance/Performance sheets",
        "Quality and performance/Roster",
        "Quality and performance/My shifts",
        "Quality and performance/Leaderboard",
        "Quality and performance/Praise and upheld complaints",
        "Quality and performance/Reward/penalty rules",
        "Data and reports/Reports",
        "Data and reports/Live board",
        "Personal data protection",
        "Settings",
    ]


def test_the_browser_language_does_not_override_chinese(client_for):
    client, _user = client_for(Role.AGENT)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert nav_labels(html) == NAV_BY_ROLE[Role.AGENT]


def test_not_found_and_forbidden_pages_are_friendly_and_chinese(client_for):
    client, _user = client_for(Role.AGENT)
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    forbidden = client.get("/settings/users/")
    assert forbidden.status_code == 403 and "您没有打开此页面的权限。" in forbidden.content.decode()


def test_the_server_error_page_needs_nothing_and_shows_no_trace():
    response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in body and "Traceback" not in body


def test_presence_switch_from_the_menu(client_for):
    client, agent = client_for(Role.AGENT)
    response = client.post("/accounts/presence/", {"presence": "busy"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'value="busy" selected' in response.content.decode()
    agent.agent_profile.refresh_from_db()
    assert agent.agent_profile.presence == "busy"
    assert client.post("/accounts/presence/", {"presence": "asleep"}).status_code == 302
    agent.agent_profile.refresh_from_db()
    assert agent.agent_profile.presence == "busy"


@pytest.fixture
def small_demo(monkeypatch):
    """The demo's history kept small: these tests are about the organisation and the password."""
    for name, count in {"CUSTOMERS": 60, "TICKETS": 30, "CALLS": 20, "CHATS": 10}.items():
        monkeypatch.setenv(f"KEFU_DEMO_{name}", str(count))


def test_demo_builds_the_organisation_with_one_password(small_demo):
    out = io.StringIO()
    call_command("demo", "--password", "Demo2026pass", stdout=out)
    assert set(Department.objects.values_list("name", flat=True)) == {
        "客服部",
        "技术部",
        "仓库",
        "财务部",
        "服务监察部",
    }
    expected = {
        "admin",
        "manager",
        "supervisor1",
        "supervisor2",
        *(f"agent{i}" for i in range(1, 9)),
        "inspector",
        "tech1",
        "tech2",
        "tech3",
        "warehouse1",
        "finance1",
        "audit1",
    }
    assert set(User.objects.values_list("username", flat=True)) == expected
    assert User.objects.get(username="tech1").department.name == "技术部"
    assert User.objects.get(username="agent3").agent_profile.skills.exists()
    sign_in(Client(), User.objects.get(username="agent1"), password="Demo2026pass")
    # Idempotent, and a second run with another password changes it.
    call_command("demo", "--password", "Other2026pass", stdout=io.StringIO())
    assert User.objects.count() == len(expected)
    assert User.objects.get(username="agent1").check_password("Other2026pass")


def test_demo_without_a_password_prints_a_generated_one(small_demo):
    out = io.StringIO()
    call_command("demo", stdout=out)
    password = re.search(r"Password for all of them: (\S+)", out.getvalue()).group(1)
    assert User.objects.get(username="agent1").check_password(password)


def test_createadmin_without_a_password_fails_clearly():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--password"):
        call_command("createadmin", "root", password=None)
    call_command("createadmin", "root", password="Root2026pass", stdout=io.StringIO())
    assert User.objects.get(username="root").role == Role.ADMINISTRATOR


@pytest.mark.parametrize(
    "text", ["<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "😀 春节 𠀀", "=1+1"]
)
def test_hostile_names_in_settings_render_as_inert_text(client_for, text):
    client, _manager = client_for(Role.MANAGER)
    client.post("/settings/departments/", {"kind": "department", "d-name": text, "d-code": "x1"})
    client.post("/settings/calendar/", {"date": "2026-12-30", "kind": "holiday", "name": text})
    for url in ["/settings/departments/", "/settings/calendar/?year=2026", "/settings/audit/", "/"]:
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
    assert Department.objects.filter(name=text).exists()


def test_a_form_from_an_expired_page_gets_a_chinese_explanation(make_user):
    agent = make_user(Role.AGENT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post("/accounts/presence/", {"presence": "online"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期，未保存任何内容。" in body and "CSRF verification failed" not in body


def test_every_navigation_entry_names_a_group_the_shell_declares():
    from kefu.web.navigation import NAV_GROUPS, collected

    declared = {group.key for group in NAV_GROUPS}
    assert {entry.group for entry in collected("NAVIGATION")} - {""} <= declared
