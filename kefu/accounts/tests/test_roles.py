"""The role × permission matrix, and the same matrix seen through every page and API endpoint."""

import pytest
from django.test import Client

from kefu.accounts.roles import ROLE_PERMISSIONS, Perm, Role, permissions_of
from tests.factories import UserFactory

# The rights the seeds name, role by role (001: 审批权, 调配权, 考核权, 紧急事件处理权).
EXPECTED = {
    Role.ADMINISTRATOR: Perm.ALL,
    Role.MANAGER: Perm.ALL - {Perm.WORK_ROUTED_TASKS, Perm.USE_ADMIN_SITE},
    Role.SUPERVISOR: {
        Perm.SERVE_CUSTOMERS,
        Perm.APPROVE,
        Perm.ASSIGN_WORK,
        Perm.EVALUATE,  # seed 002: drafts the 奖罚评分表 for a superior's approval
        Perm.HANDLE_EMERGENCY,
        Perm.INSPECT_QUALITY,
        Perm.REVEAL_PERSONAL_DATA,
        Perm.EXPORT_DATA,
        Perm.VIEW_REPORTS,
        Perm.EDIT_KNOWLEDGE,  # 知识库: supervisors write and publish articles
        Perm.PUBLISH_KNOWLEDGE,
    },
    Role.AGENT: {Perm.SERVE_CUSTOMERS, Perm.REVEAL_PERSONAL_DATA},
    Role.INSPECTOR: {Perm.INSPECT_QUALITY, Perm.VIEW_REPORTS},
    Role.DEPARTMENT_STAFF: {Perm.WORK_ROUTED_TASKS},
}


def test_every_role_has_a_permission_set():
    assert set(ROLE_PERMISSIONS) == set(Role.values)


@pytest.mark.parametrize("role", Role.values)
def test_role_carries_exactly_its_rights(role):
    assert permissions_of(role) == frozenset(EXPECTED[role])


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("perm", sorted(Perm.ALL))
def test_has_perm_follows_the_table(role, perm):
    user = UserFactory(role=role)
    assert user.has_perm(perm) is (perm in EXPECTED[role])


@pytest.mark.django_db
def test_a_disabled_user_holds_no_permission():
    user = UserFactory(role=Role.MANAGER, is_active=False)
    assert not user.has_perm(Perm.APPROVE)
    assert user.get_all_permissions() == set()


READERS = {Role.ADMINISTRATOR, Role.MANAGER, Role.SUPERVISOR, Role.INSPECTOR}
# (method, url, roles that may open it). Every other role gets 403 (or 404 for objects by id).
PAGES = [
    ("get", "/", set(Role.values)),
    ("get", "/settings/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/settings/users/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/settings/users/new/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/settings/departments/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/settings/audit/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/settings/calendar/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/admin/", {Role.ADMINISTRATOR}),
    ("get", "/api/v1/me", set(Role.values)),
    ("get", "/api/v1/users", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/api/v1/audit", {Role.ADMINISTRATOR, Role.MANAGER}),
    # 服务分析报告: readers of reports; a responsible department's staff (not the customer service
    # department the fixture puts everybody in) see their own (kefu/reports/tests/test_departments_api.py)
    ("get", "/reports/departments/", READERS),
    ("get", "/api/v1/reports/departments", READERS),
    # 自动化: the webhooks and group robots, on their pages and through the API
    ("get", "/automation/webhooks/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/automation/robots/", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/api/v1/automation/webhooks", {Role.ADMINISTRATOR, Role.MANAGER}),
    ("get", "/api/v1/automation/robots", {Role.ADMINISTRATOR, Role.MANAGER}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "allowed"), PAGES)
@pytest.mark.parametrize("role", Role.values)
def test_page_matrix(client_for, role, method, url, allowed):
    client, _user = client_for(role)
    response = getattr(client, method)(url)
    if role in allowed:
        assert response.status_code == 200, (role, url, response.status_code)
    elif url.startswith("/admin/"):
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert response.status_code == 403, (role, url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_user_pages_by_id_answer_404_to_those_who_may_not_manage_users(client_for, make_user, role):
    client, _user = client_for(role)
    other = make_user(Role.AGENT)
    response = client.get(f"/settings/users/{other.pk}/")
    expected = 200 if role in {Role.ADMINISTRATOR, Role.MANAGER} else 404
    assert response.status_code == expected
    # A missing id answers the same as a forbidden one.
    assert client.get("/settings/users/999999/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/settings/users/", "/api/v1/me"])
def test_anonymous_visitors_are_sent_to_sign_in_or_refused(url):
    response = Client().get(url)
    if url.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/")


def test_the_superuser_flag_grants_nothing_beyond_the_role(client_for):
    client, agent = client_for(Role.AGENT)
    agent.is_superuser = True
    agent.save()
    assert not agent.has_perm(Perm.MANAGE_USERS)
    assert client.get("/settings/users/").status_code == 403


@pytest.mark.django_db
def test_createsuperuser_makes_an_administrator_by_role():
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser(
        "Root.Admin", "root@example.cn", "a-long-pass-phrase-1"
    )
    assert (admin.username, admin.role, admin.is_staff, admin.is_superuser) == (
        "root.admin",
        Role.ADMINISTRATOR,
        True,
        False,
    )
    assert admin.has_perm(Perm.MANAGE_USERS)
