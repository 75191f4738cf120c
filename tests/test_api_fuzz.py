"""API fuzzing: schemathesis generates requests from /api/v1/openapi.json.

Whatever it sends, the API never answers 5xx, and documented responses match their schema.
Requests carry a manager's token, so every endpoint is reached past authentication.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from kefu.accounts import services
from kefu.accounts.roles import Role
from tests.factories import UserFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: a request must not close the connection holding the test's
    transaction (with CONN_MAX_AGE=0 it would, and PostgreSQL then answers "connection is closed")."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def manager_token(db):
    manager = UserFactory(role=Role.MANAGER, mobile="13900001111")
    UserFactory(role=Role.AGENT)  # something to list and reveal
    _token, raw = services.create_api_token(user=manager, name="fuzz")
    return raw


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_keeps_its_schema(case, manager_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {manager_token}", "Host": "localhost"},
        checks=[not_a_server_error, response_schema_conformance],
    )
