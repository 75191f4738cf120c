"""Managing users writes audit rows; the audit log is searchable by managers; hostile text is inert."""

import pytest

from conftest import HOSTILE_STRINGS
from kefu.accounts.models import AuditAction, AuditEntry, User
from kefu.accounts.roles import Role
from kefu.core.errors import PermissionRefused

pytestmark = pytest.mark.django_db


def test_a_manager_creates_an_agent_and_the_creation_is_audited(client_for, department):
    client, manager = client_for(Role.MANAGER)
    response = client.post(
        "/settings/users/new/",
        {
            "username": "agent42",
            "display_name": "王芳",
            "role": Role.AGENT,
            "department": department.pk,
            "mobile": "13800138000",
            "password": "Strong2026pass",
        },
    )
    created = User.objects.get(username="agent42")
    assert response["Location"] == f"/settings/users/{created.pk}/"
    assert created.check_password("Strong2026pass")
    assert hasattr(created, "agent_profile")
    assert AuditEntry.objects.filter(
        action=AuditAction.USER_CREATED, actor=manager, object_id=str(created.pk)
    ).exists()


def test_a_manager_cannot_create_an_administrator(client_for):
    client, _manager = client_for(Role.MANAGER)
    response = client.post(
        "/settings/users/new/",
        {"username": "boss", "role": Role.ADMINISTRATOR, "password": "Strong2026pass"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="boss").exists()


def test_a_role_change_is_audited_with_before_and_after(client_for, make_user):
    client, manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    client.post(f"/settings/users/{agent.pk}/", {"role": Role.SUPERVISOR})
    agent.refresh_from_db()
    assert agent.role == Role.SUPERVISOR
    entry = AuditEntry.objects.get(action=AuditAction.PERMISSION_CHANGED)
    assert (entry.actor, entry.details) == (manager, {"from": Role.AGENT, "to": Role.SUPERVISOR})


def test_a_manager_cannot_demote_an_administrator_and_nothing_changes(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    admin = make_user(Role.ADMINISTRATOR)
    response = client.post(f"/settings/users/{admin.pk}/", {"role": Role.AGENT})
    assert response.status_code == 403
    assert "只有系统管理员" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR
    assert not AuditEntry.objects.filter(action=AuditAction.PERMISSION_CHANGED).exists()


def test_only_administrators_get_the_admin_site_flag(make_user):
    from kefu.accounts import services

    admin = make_user(Role.ADMINISTRATOR)
    agent = make_user(Role.AGENT)
    services.change_role(actor=admin, user=agent, role=Role.ADMINISTRATOR)
    agent.refresh_from_db()
    assert agent.is_staff
    services.change_role(actor=admin, user=agent, role=Role.AGENT)
    agent.refresh_from_db()
    assert not agent.is_staff


def test_an_agent_cannot_change_roles_through_the_service(make_user):
    from kefu.accounts import services

    agent = make_user(Role.AGENT)
    other = make_user(Role.AGENT)
    with pytest.raises(PermissionRefused):
        services.change_role(actor=agent, user=other, role=Role.MANAGER)
    other.refresh_from_db()
    assert other.role == Role.AGENT


def test_disabling_an_account_is_audited_and_blocks_sign_in(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    client.post(f"/settings/users/{agent.pk}/active/", {"active": "0"})
    agent.refresh_from_db()
    assert not agent.is_active
    assert AuditEntry.objects.filter(
        action=AuditAction.USER_DEACTIVATED, object_id=str(agent.pk)
    ).exists()


def test_the_audit_log_filters_by_action_and_user(client_for, make_user):
    client, manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT, mobile="13912345678")
    client.post(f"/settings/users/{agent.pk}/reveal/mobile/")
    page = client.get(
        "/settings/audit/", {"action": AuditAction.REVEAL, "actor": manager.username}
    ).content.decode()
    assert "查看了完整个人信息" in page
    assert str(agent) in page
    empty = client.get("/settings/audit/", {"action": AuditAction.EXPORT}).content.decode()
    assert str(agent) not in empty


def test_the_audit_log_api_pages_with_a_cursor(client_for):
    client, _manager = client_for(Role.MANAGER)
    for i in range(7):
        AuditEntry.objects.create(action=AuditAction.EXPORT, actor_username=f"u{i}")
    first = client.get("/api/v1/audit", {"action": "export", "limit": 5}).json()
    assert [e["actor_username"] for e in first["items"]] == ["u6", "u5", "u4", "u3", "u2"]
    second = client.get(
        "/api/v1/audit", {"action": "export", "limit": 5, "cursor": first["next_cursor"]}
    ).json()
    assert [e["actor_username"] for e in second["items"]] == ["u1", "u0"]
    assert second["next_cursor"] is None


def test_denied_pages_are_audited(client_for):
    client, agent = client_for(Role.AGENT)
    assert client.get("/settings/audit/").status_code == 403
    entry = AuditEntry.objects.get(action=AuditAction.ACCESS_DENIED)
    assert (entry.actor, entry.object_repr) == (agent, "/settings/audit/")


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_hostile_display_names_render_as_inert_text(client_for, make_user, text):
    client, _manager = client_for(Role.MANAGER)
    target = make_user(Role.AGENT, display_name=text)
    for url in ["/settings/users/", f"/settings/users/{target.pk}/"]:
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "<img src=x" not in body
    assert client.get(f"/api/v1/users/{target.pk}").json()["display_name"] == text


def test_the_last_administrator_cannot_be_demoted_or_disabled(make_user):
    from kefu.accounts import services
    from kefu.core.errors import DomainError

    admin = make_user(Role.ADMINISTRATOR)
    with pytest.raises(DomainError):
        services.change_role(actor=admin, user=admin, role=Role.AGENT)
    with pytest.raises(DomainError):
        services.set_user_active(actor=admin, user=admin, active=False)
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR and admin.is_active
    second = make_user(Role.ADMINISTRATOR)
    services.change_role(actor=second, user=admin, role=Role.MANAGER)
    admin.refresh_from_db()
    assert admin.role == Role.MANAGER


def test_creating_a_team_from_settings_is_audited(client_for, department):
    client, manager = client_for(Role.MANAGER)
    response = client.post(
        "/settings/departments/",
        {
            "kind": "team",
            "t-name": "夜班组",
            "t-department": department.pk,
            "t-work_start": "20:00",
            "t-work_end": "23:30",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.ORGANISATION_CHANGED)
    assert (entry.actor, entry.object_repr) == (manager, "夜班组")
    bad = client.post(
        "/settings/departments/",
        {
            "kind": "team",
            "t-name": "倒班组",
            "t-department": department.pk,
            "t-work_start": "18:00",
            "t-work_end": "09:00",
        },
    )
    assert bad.status_code == 200 and "下班时间必须晚于上班时间。" in bad.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.ORGANISATION_CHANGED).count() == 1


def test_role_changes_in_the_admin_site_are_audited(client_for, make_user):
    client, admin = client_for(Role.ADMINISTRATOR)
    agent = make_user(Role.AGENT)
    page = client.get(f"/admin/accounts/user/{agent.pk}/change/")
    assert page.status_code == 200
    form = {
        "username": agent.username,
        "role": Role.SUPERVISOR,
        "is_active": "on",
        "display_name": agent.display_name,
        "mobile": agent.mobile,
        "email": agent.email,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-11-01",
        "date_joined_1": "09:00:00",
        "department": agent.department_id or "",
    }
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action=AuditAction.PERMISSION_CHANGED, object_id=str(agent.pk))
    assert (
        entry.actor == admin
        and entry.details["fields"] == ["role"]
        and entry.details["via"] == "admin"
    )
