"""Passwords: a user changes their own; a user administrator sets a forgotten one. Both audited,
both under the password rules, and the old password stops working."""

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Kefu-new-pass-2026"


def test_an_agent_changes_their_password_and_other_sessions_end(client_for):
    client, agent = client_for(Role.AGENT)
    other_device = sign_in(Client(), agent)
    wrong_old = client.post(
        "/accounts/password/", {"old_password": "nope", "new_password1": NEW, "new_password2": NEW}
    )
    assert wrong_old.status_code == 200 and "旧密码不正确" in wrong_old.content.decode()
    too_simple = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert (
        too_simple.status_code == 200 and 'data-testid="field-error"' in too_simple.content.decode()
    )

    done = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this session stays signed in
    assert other_device.get("/").status_code == 302  # the other one is signed out
    agent.refresh_from_db()
    assert agent.check_password(NEW)
    entry = AuditEntry.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert (entry.actor, entry.object_id, entry.details) == (agent, str(agent.pk), {"by": "self"})


def test_an_administrator_sets_a_forgotten_password(client_for, make_user):
    admin, _admin_user = client_for(Role.ADMINISTRATOR)
    agent = make_user(Role.AGENT)
    page = admin.get(f"/settings/users/{agent.pk}/")
    assert f"/settings/users/{agent.pk}/password/" in page.content.decode()
    mismatch = admin.post(
        f"/settings/users/{agent.pk}/password/", {"new_password1": NEW, "new_password2": NEW + "x"}
    )
    assert mismatch.status_code == 200
    done = admin.post(
        f"/settings/users/{agent.pk}/password/", {"new_password1": NEW, "new_password2": NEW}
    )
    assert done.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(NEW)
    assert AuditEntry.objects.filter(
        action=AuditAction.PASSWORD_CHANGED,
        object_id=str(agent.pk),
        details={"by": "administrator"},
    ).exists()


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_only_user_administrators_may_set_someone_elses_password(client_for, make_user, role):
    client, _user = client_for(role)
    agent = make_user(Role.AGENT)
    response = client.post(
        f"/settings/users/{agent.pk}/password/", {"new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code in (403, 404)
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


def test_a_manager_may_not_set_an_administrators_password(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    admin = make_user(Role.ADMINISTRATOR)
    response = client.post(
        f"/settings/users/{admin.pk}/password/", {"new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
