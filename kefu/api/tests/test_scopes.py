"""API token scopes and expiry (issue 18.5): a token reaches only the areas its scopes name, a
write scope reads too, a token without scopes reaches all its user may; an expired token is a
401; a scoped token is rate-limited like any other."""

import datetime as dt
import secrets

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kefu.accounts import services
from kefu.accounts.models import ApiToken, AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.core.errors import DomainError
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def client(user, *scopes, expires_at=None) -> Client:
    _token, raw = services.create_api_token(
        user=user, name="scoped", scopes=scopes, expires_at=expires_at
    )
    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=address)


def new_ticket(api: Client):
    return api.post(
        "/api/v1/tickets",
        {"type": "consultation", "subject": "发票开错了", "content": "抬头写错"},
        "application/json",
    )


def test_a_read_scope_reads_its_area_and_nothing_else(make_user):
    api = client(make_user(Role.SUPERVISOR), "tickets:read")
    assert api.get("/api/v1/tickets").status_code == 200
    refused = new_ticket(api)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "此 API 令牌没有 tickets:write 权限范围；它的权限范围：tickets:read。"
    )
    assert not Ticket.objects.exists()
    other = api.get("/api/v1/customers")
    assert other.status_code == 403
    assert "customers:read" in other.json()["detail"]


def test_a_write_scope_also_reads_and_a_star_scope_reads_everything(make_user):
    supervisor = make_user(Role.SUPERVISOR)
    writer = client(supervisor, "tickets:write")
    assert new_ticket(writer).status_code == 201
    assert writer.get("/api/v1/tickets").status_code == 200
    reader = client(supervisor, "*:read")
    assert reader.get("/api/v1/customers").status_code == 200
    assert reader.get("/api/v1/tickets").status_code == 200
    assert new_ticket(reader).status_code == 403
    assert Ticket.objects.count() == 1
    # No scopes: all the user may (tokens made before scopes existed).
    assert new_ticket(client(supervisor)).status_code == 201


def test_scopes_do_not_widen_the_users_own_permissions(make_user):
    api = client(make_user(Role.AGENT), "privacy:write")
    body = {"customer_id": 1, "reason": "x"}
    assert api.post("/api/v1/privacy/exports", body, "application/json").status_code == 403


def test_an_expired_token_is_refused_as_unauthenticated(make_user):
    agent = make_user(Role.AGENT)
    past = client(agent, expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert past.get("/api/v1/me").status_code == 401
    future = client(agent, expires_at=timezone.now() + dt.timedelta(days=1))
    assert future.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "scope", ["tickets", "tickets:admin", "TICKETS:read", "<script>:read", "a:read:write", ""]
)
def test_a_malformed_scope_is_refused_when_the_token_is_made(make_user, scope):
    with pytest.raises(DomainError):
        services.create_api_token(user=make_user(Role.AGENT), name="x", scopes=[scope])
    assert not ApiToken.objects.exists()


def test_the_command_makes_a_scoped_expiring_token_and_audits_it(make_user, capsys):
    user = make_user(Role.SUPERVISOR)
    call_command("apitoken", user.username, "--scope", "tickets:read", "--days", "30")
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert token.scopes == ["tickets:read"]
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    entry = AuditEntry.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert entry.details["scopes"] == ["tickets:read"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/tickets").status_code == 200
    assert api.get("/api/v1/customers").status_code == 403


def test_a_scoped_token_over_its_rate_gets_429_with_retry_after(make_user, settings):
    settings.KEFU_API_RATE_PER_TOKEN = "3/day"
    settings.KEFU_API_RATE_PER_ADDRESS = "1000/min"
    api = client(make_user(Role.SUPERVISOR), "tickets:read")
    assert [api.get("/api/v1/tickets").status_code for _ in range(3)] == [200] * 3
    refused = api.get("/api/v1/tickets")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 86400
