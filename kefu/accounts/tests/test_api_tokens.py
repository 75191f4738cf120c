"""API tokens: `kefu apitoken USER` prints one, only its hash is stored, Bearer works."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import Client

from kefu.accounts.models import ApiToken
from kefu.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_the_command_prints_a_token_that_signs_api_calls(make_user):
    manager = make_user(Role.MANAGER, username="boss")
    out = io.StringIO()
    call_command("apitoken", "boss", stdout=out)
    raw = out.getvalue().strip()
    stored = ApiToken.objects.get(user=manager)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.digest, stored.prefix}
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == "boss"
    # A token is not a browser session: managers' tokens work without the second factor.
    assert Client().get("/api/v1/users", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer kefu_wrong", "Bearer ", "Basic abc", "Bearer " + "x" * 5000]
)
def test_bad_tokens_get_401(header):
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=header).status_code == 401


def test_revoked_tokens_and_disabled_users_are_refused(make_user):
    from django.utils import timezone

    from kefu.accounts import services

    user = make_user(Role.AGENT)
    token, raw = services.create_api_token(user=user, name="t")
    token.revoked_at = timezone.now()
    token.save()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    _token, raw2 = services.create_api_token(user=user, name="t2")
    user.is_active = False
    user.save()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401


def test_an_agent_token_cannot_list_users(make_user):
    from kefu.accounts import services

    _token, raw = services.create_api_token(user=make_user(Role.AGENT), name="t")
    response = Client().get("/api/v1/users", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert response.json() == {"detail": "您没有执行此操作的权限。"}


def test_unknown_command_user_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active user"):
        call_command("apitoken", "nobody")


def test_the_schema_and_docs_are_served():
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/me", "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/audit"} <= set(paths)
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()  # served from our own static files


def test_a_verified_token_is_not_looked_up_again(make_user, django_assert_num_queries):
    """Issue 11.3: a token checked once is kept for a few seconds in the process (no query)."""
    from kefu.accounts import services

    user = make_user(Role.AGENT, username="script")
    _token, raw = services.create_api_token(user=user, name="t")
    first = services.api_token_for(raw)
    assert first is not None and first.user.username == "script"
    with django_assert_num_queries(0):
        again = services.api_token_for(raw)
    assert again is not None and again.user == user
    # Each call gets its own copies: what one request does to its user stays with it.
    assert again is not first and again.user is not first.user


def test_a_sign_in_or_a_new_token_keeps_the_verified_tokens(make_user, django_assert_num_queries):
    """Every sign-in saves the user (its last_login): that must not send every process back to the
    database for every token, nor must another token's creation."""
    from django.contrib.auth.models import update_last_login

    from kefu.accounts import services

    user = make_user(Role.AGENT, username="script")
    _token, raw = services.create_api_token(user=user, name="t")
    assert services.api_token_for(raw) is not None
    update_last_login(None, make_user(Role.AGENT))
    services.create_api_token(user=user, name="another")
    with django_assert_num_queries(0):  # still kept: not looked up again
        assert services.api_token_for(raw) is not None


def test_a_revoked_token_is_refused_at_once_in_the_same_process(make_user):
    from django.utils import timezone

    from kefu.accounts import services

    token, raw = services.create_api_token(user=make_user(Role.AGENT), name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == 200  # verified and kept
    token.revoked_at = timezone.now()
    token.save()  # as the admin does it
    assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_user_or_a_new_role_counts_at_once(make_user):
    from kefu.accounts import services

    boss = make_user(Role.ADMINISTRATOR)
    user = make_user(Role.MANAGER)
    _token, raw = services.create_api_token(user=user, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/users").status_code == 200
    services.change_role(actor=boss, user=user, role=Role.AGENT)
    assert client.get("/api/v1/users").status_code == 403  # the agent's rights, not the manager's
    services.set_user_active(actor=boss, user=user, active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_a_change_made_by_another_process_counts_at_once(make_user):
    """Another process that revokes a token bumps the shared generation (Redis when scaled): this
    process drops what it verified under the old one."""
    from django.core.cache import cache

    from kefu.accounts import services
    from kefu.accounts.models import ApiToken

    token, raw = services.create_api_token(user=make_user(Role.AGENT), name="t")
    assert services.api_token_for(raw) is not None
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)  # no signal here
    assert services.api_token_for(raw) is not None  # still the kept answer…
    cache.add(services.TOKEN_GENERATION_KEY, 0, timeout=None)
    cache.incr(services.TOKEN_GENERATION_KEY)  # …until another process says tokens changed
    assert services.api_token_for(raw) is None


def test_a_kept_token_ends_at_its_expiry(make_user, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from kefu.accounts import services

    now = timezone.now()
    _token, raw = services.create_api_token(
        user=make_user(Role.AGENT), name="t", expires_at=now + dt.timedelta(seconds=5)
    )
    assert services.api_token_for(raw) is not None
    monkeypatch.setattr(services.timezone, "now", lambda: now + dt.timedelta(seconds=6))
    assert services.api_token_for(raw) is None
