"""Issue 9.22, the accounts parts: recovery codes and an administrator's reset of a lost
authenticator (audited); departments and teams editable (audited); the audit log names objects and
actions in Chinese; "Name" of things is 名称; the start-up banner asks for two-factor only those who
have not set it up."""

import io
import re

import pytest
from django.test import Client

from conftest import sign_in, totp_code
from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, AuditEntry, Department, Team, User
from kefu.accounts.roles import Role
from kefu.conversations.tests.conftest import make_inbox
from kefu.web.management.commands.serve import Command
from tests.factories import PASSWORD, TeamFactory

pytestmark = pytest.mark.django_db


def password_only(user) -> Client:
    client = Client()
    response = client.post("/accounts/sign-in/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrol(user) -> tuple[Client, list[str]]:
    """Sets up two-factor through the pages; returns the client and the codes shown once."""
    client = password_only(user)
    client.get("/accounts/two-factor/")
    response = client.post("/accounts/two-factor/", {"code": totp_code(user)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/recovery-codes/"
    page = client.get("/accounts/recovery-codes/").content.decode()
    codes = re.findall(r"<li>([a-z0-9]+)</li>", page)
    assert "只显示这一次" in page
    return client, codes


def test_setting_up_two_factor_shows_ten_recovery_codes_once(make_user):
    manager = make_user(Role.MANAGER)
    client, codes = enrol(manager)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get("/accounts/recovery-codes/").content.decode()
    assert not any(code in again for code in codes)
    assert "您还有 10 个未使用的恢复码。" in again


def test_a_recovery_code_signs_in_once_instead_of_the_phone(make_user):
    manager = make_user(Role.MANAGER)
    _client, codes = enrol(manager)
    client = password_only(manager)
    assert client.get("/settings/users/").status_code == 302  # the second factor first
    response = client.post("/accounts/two-factor/", {"code": codes[3].upper()})
    assert response.status_code == 302
    assert client.get("/settings/users/").status_code == 200
    entry = AuditEntry.objects.get(action=AuditAction.RECOVERY_CODE_USED)
    assert (entry.actor, entry.details) == (manager, {"codes_left": 9})
    reused = password_only(manager).post("/accounts/two-factor/", {"code": codes[3]})
    assert reused.status_code == 200 and "验证码不正确" in reused.content.decode()


def test_making_new_recovery_codes_ends_the_old_ones(make_user):
    manager = make_user(Role.MANAGER)
    client, old = enrol(manager)
    response = client.post("/accounts/recovery-codes/")
    assert response.status_code == 302
    new = re.findall(
        r"<li>([a-z0-9]+)</li>", client.get("/accounts/recovery-codes/").content.decode()
    )
    assert len(new) == 10 and not set(new) & set(old)
    refused = password_only(manager).post("/accounts/two-factor/", {"code": old[0]})
    assert refused.status_code == 200


def test_an_administrator_resets_a_lost_authenticator(client_for, make_user):
    manager = make_user(Role.MANAGER)
    enrol(manager)
    admin_client, admin = client_for(Role.ADMINISTRATOR)
    page = admin_client.get(f"/settings/users/{manager.pk}/").content.decode()
    assert "重置双因素登录" in page
    response = admin_client.post(f"/settings/users/{manager.pk}/two-factor/reset/")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (entry.actor, entry.object_id) == (admin, str(manager.pk))
    # At the next sign-in the manager sets up an authenticator again (the QR code is shown).
    client = password_only(manager)
    setup = client.get("/accounts/two-factor/").content.decode()
    assert 'data-testid="totp-secret"' in setup


def test_a_manager_cannot_reset_an_administrators_two_factor(client_for, make_user):
    admin = make_user(Role.ADMINISTRATOR)
    enrol(admin)
    client, _manager = client_for(Role.MANAGER)
    response = client.post(f"/settings/users/{admin.pk}/two-factor/reset/")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR_RESET).exists()


def test_departments_and_teams_can_be_edited_and_each_change_is_audited(client_for, department):
    client, _manager = client_for(Role.MANAGER)
    team = TeamFactory(name="售前组", department=department)
    listing = client.get("/settings/departments/").content.decode()
    assert f"/settings/departments/{department.pk}/edit/" in listing
    assert f"/settings/teams/{team.pk}/edit/" in listing

    response = client.post(
        f"/settings/departments/{department.pk}/edit/",
        {"name": "客户服务部", "code": department.code, "is_customer_service": "on"},
    )
    assert response.status_code == 302
    assert Department.objects.get(pk=department.pk).name == "客户服务部"
    entry = AuditEntry.objects.get(action=AuditAction.ORGANISATION_CHANGED)
    assert entry.details == {"created": False, "fields": ["name"], "before": {"name": "客服部"}}

    response = client.post(
        f"/settings/teams/{team.pk}/edit/",
        {
            "name": "售前一组",
            "department": department.pk,
            "work_start": "08:30",
            "work_end": "22:00",
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.work_start.strftime("%H:%M")) == ("售前一组", "08:30")
    assert AuditEntry.objects.filter(action=AuditAction.ORGANISATION_CHANGED).count() == 2
    bad = client.post(
        f"/settings/teams/{team.pk}/edit/",
        {"name": "倒班", "department": department.pk, "work_start": "18:00", "work_end": "09:00"},
    )
    assert bad.status_code == 200 and "下班时间必须晚于上班时间。" in bad.content.decode()
    assert Team.objects.get(pk=team.pk).name == "售前一组"


def test_editing_organisation_is_for_user_managers_only(client_for, department):
    client, _supervisor = client_for(Role.SUPERVISOR)
    assert client.get(f"/settings/departments/{department.pk}/edit/").status_code == 403
    response = client.post(f"/settings/departments/{department.pk}/edit/", {"name": "改名"})
    assert response.status_code == 403
    assert Department.objects.get(pk=department.pk).name == "客服部"


def test_the_audit_log_names_object_kinds_and_actions_in_chinese(client_for, make_user):
    client, manager = client_for(Role.MANAGER)
    # Rows that exports wrote before they named themselves in Chinese.
    audit(AuditAction.EXPORT, actor=manager, object_type="customers", details={"rows": 12})
    audit(AuditAction.EXPORT, actor=manager, object_type="chat statistics", details={"rows": 3})
    audit(AuditAction.EXPORT, actor=manager, object_type="some_new_export", object_repr="新导出")
    inbox_page = client.post(
        "/settings/inboxes/new/",
        {"name": "官网咨询", "origins": "https://shop.example", "auto_close_minutes": 30},
    )
    assert inbox_page.status_code == 302, inbox_page.content.decode()[:2000]
    page = client.get("/settings/audit/").content.decode()
    kinds = re.findall(r'data-testid="object-kind">([^<]+)<', page)
    assert "客户" in kinds and "会话统计" in kinds
    assert "customers" not in kinds and "chat statistics" not in kinds
    assert "some_new_export" not in page and "新导出" in page
    assert "用户" in kinds  # sign-ins name the user
    assert "修改会话或邮件接入渠道" in page  # not 修改部门、技能组或技能
    assert not AuditEntry.objects.filter(action=AuditAction.ORGANISATION_CHANGED).exists()


def test_a_things_name_is_mingcheng_not_xingming(client_for):
    client, _manager = client_for(Role.MANAGER)
    for url in ("/sms/templates/new/", "/settings/tickets/"):
        page = client.get(url).content.decode()
        assert "名称" in page, url
        assert ">姓名<" not in page and "姓名</label>" not in page, url


def test_the_banner_asks_for_two_factor_only_those_who_have_not_set_it_up(make_user):
    make_user(Role.ADMINISTRATOR, username="admin")
    manager = make_user(Role.MANAGER, username="manager")

    def banner() -> str:
        out = io.StringIO()
        command = Command(stdout=out)
        command._announce("127.0.0.1", 8000, "Demo2026pass")
        return out.getvalue()

    assert "admin and manager set up two-factor" in banner()
    enrol(manager)
    assert "admin set up two-factor" in banner()
    enrol(User.objects.get(username="admin"))
    assert "two-factor" not in banner()


def test_sign_in_still_works_for_everybody_else(make_user):
    agent = make_user(Role.AGENT)
    assert sign_in(Client(), agent).get("/").status_code == 200
    assert make_inbox().pk
