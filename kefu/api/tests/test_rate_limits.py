"""API rate limits per token and per address: 429 with Retry-After (issue 10.11)."""

import secrets

import pytest
from django.test import Client

from conftest import sign_in
from kefu.accounts import services
from kefu.accounts.roles import Role

pytestmark = pytest.mark.django_db


def new_address() -> str:
    """An address no other test (or earlier run on the same Redis) counted: counts outlive tests,
    and clearing a Redis cache would flush other workers' keys too."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def token_client(user, address=None) -> Client:
    address = address or new_address()
    _token, raw = services.create_api_token(user=user, name="rate")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=address)


def test_a_token_over_its_limit_gets_429_with_retry_after(make_user, settings):
    settings.KEFU_API_RATE_PER_TOKEN = "5/day"  # one window: the test never straddles two
    settings.KEFU_API_RATE_PER_ADDRESS = "1000/min"
    agent = make_user(Role.AGENT)
    client = token_client(agent)
    assert [client.get("/api/v1/me").status_code for _ in range(5)] == [200] * 5
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 86400
    assert refused.json()["detail"].startswith("请求太频繁，请 ")
    # Another token of the same user counts on its own.
    assert token_client(agent).get("/api/v1/me").status_code == 200


def test_an_address_over_its_limit_gets_429_whatever_token_it_uses(make_user, settings):
    settings.KEFU_API_RATE_PER_TOKEN = "1000/min"
    settings.KEFU_API_RATE_PER_ADDRESS = "4/day"
    address = new_address()
    clients = [token_client(make_user(Role.AGENT), address) for _ in range(2)]
    statuses = [clients[i % 2].get("/api/v1/me").status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    # Another address is not held back.
    assert token_client(make_user(Role.AGENT)).get("/api/v1/me").status_code == 200


def test_the_limits_are_off_when_the_settings_are_empty(make_user, settings):
    settings.KEFU_API_RATE_PER_TOKEN = ""
    settings.KEFU_API_RATE_PER_ADDRESS = ""
    client = token_client(make_user(Role.AGENT))
    assert {client.get("/api/v1/me").status_code for _ in range(30)} == {200}


def test_integration_tokens_and_browser_users_have_their_own_defaults(make_user, settings):
    """Issue 11.3 / 15: a bearer token is an integration (KEFU_API_RATE_PER_TOKEN, 60,000/min by
    default: room for 500 orders/s); a person's browser calls count per user (KEFU_API_RATE_PER_USER,
    600/min). Past either, 429 and Retry-After."""
    import kefu.settings as defaults

    assert defaults.KEFU_API_RATE_PER_TOKEN == "60000/min"
    assert defaults.KEFU_API_RATE_PER_USER == "600/min"
    settings.KEFU_API_RATE_PER_TOKEN = "6/day"
    settings.KEFU_API_RATE_PER_USER = "3/day"
    settings.KEFU_API_RATE_PER_ADDRESS = ""
    agent = make_user(Role.AGENT)
    browser = sign_in(Client(REMOTE_ADDR=new_address()), agent)
    assert [browser.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert 1 <= int(browser.get("/api/v1/me")["Retry-After"]) <= 86400
    script = token_client(agent)
    assert [script.get("/api/v1/me").status_code for _ in range(7)] == [200] * 6 + [429]
    assert 1 <= int(script.get("/api/v1/me")["Retry-After"]) <= 86400
