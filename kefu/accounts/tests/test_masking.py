"""Masking on the server by one helper, and the audited reveal."""

import pytest

from kefu.accounts.masking import (
    PersonalKind,
    mask,
    mask_email,
    mask_id_number,
    mask_mobile,
    mask_phone,
)
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812341234", "138****1234"),
        ("+86 138-1234-1234", "138****1234"),
        ("8613812341234", "138****1234"),
        ("12345", "*****"),
    ],
)
def test_mask_mobile(value, expected):
    assert mask_mobile(value) == expected


def test_mask_other_kinds():
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("not-an-email") == "***"
    assert mask_id_number("450102199001011234") == "4501**********1234"
    assert mask_phone("0771-5551234") == "0771-*****34"
    assert mask("张伟", PersonalKind.NAME) == "张*"
    assert mask("", PersonalKind.MOBILE) == ""
    assert mask(None, PersonalKind.EMAIL) == ""


@pytest.mark.django_db
def test_pages_and_api_show_the_mobile_masked(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT, mobile="13912345678")
    for url in [
        "/settings/users/",
        f"/settings/users/{agent.pk}/",
        f"/api/v1/users/{agent.pk}",
        "/api/v1/users",
    ]:
        body = client.get(url).content.decode()
        assert "139****5678" in body, url
        assert "13912345678" not in body, url


@pytest.mark.django_db
def test_reveal_shows_the_full_value_and_is_audited(client_for, make_user):
    client, manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT, mobile="13912345678")
    response = client.post(f"/settings/users/{agent.pk}/reveal/mobile/", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    assert "13912345678" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert (entry.actor, entry.object_id, entry.details["field"], entry.ip_address) == (
        manager,
        str(agent.pk),
        "mobile",
        "198.51.100.4",
    )


@pytest.mark.django_db
def test_reveal_through_the_api_is_audited(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT, email="li.na@example.cn")
    response = client.post(f"/api/v1/users/{agent.pk}/reveal/email")
    assert response.json() == {"field": "email", "value": "li.na@example.cn"}
    assert (
        AuditEntry.objects.filter(action=AuditAction.REVEAL, object_id=str(agent.pk)).count() == 1
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_only_those_who_manage_users_can_reveal_staff_details(client_for, make_user, role):
    client, user = client_for(role)
    agent = make_user(Role.AGENT, mobile="13912345678")
    response = client.post(f"/settings/users/{agent.pk}/reveal/mobile/")
    assert response.status_code == 404
    assert "13912345678" not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCESS_DENIED, actor=user, object_id=str(agent.pk)
    ).exists()


@pytest.mark.django_db
def test_unknown_field_cannot_be_revealed(client_for, make_user):
    client, _manager = client_for(Role.MANAGER)
    agent = make_user(Role.AGENT)
    assert client.post(f"/settings/users/{agent.pk}/reveal/password/").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()
