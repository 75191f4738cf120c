"""Every operation /api/v1/openapi.json advertises can be called with its own method.

Through the project's `api` (kefu/urls.py), not a router on a private NinjaAPI: an operation whose
path another route swallows answers 405 (the method is not that route's) or Django's HTML 404, and
the schema would promise an endpoint nobody can call (issue 9.1: POST /customers/imports).
"""

import re

import pytest
from django.test import Client

from kefu.accounts import services
from kefu.accounts.roles import Role

pytestmark = pytest.mark.django_db


def _sample(parameter: dict) -> str:
    kind = parameter.get("schema", {}).get("type")
    return "1" if kind == "integer" else "sample"


def test_every_operation_in_the_schema_reaches_its_handler(make_user):
    admin = make_user(Role.ADMINISTRATOR)
    _token, raw = services.create_api_token(user=admin, name="walk")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    schema = client.get("/api/v1/openapi.json").json()
    walked = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = {p["name"]: p for p in operation.get("parameters", [])}
            url = re.sub(r"{(\w+)}", lambda m, p=parameters: _sample(p[m.group(1)]), path)
            body = operation.get("requestBody", {}).get("content", {})
            if method == "get":
                response = client.get(url)
            elif "multipart/form-data" in body:
                response = getattr(client, method)(url, {})
            else:
                response = getattr(client, method)(url, "{}", content_type="application/json")
            walked.append((method.upper(), path))
            assert response.status_code != 405, (method, path, response.content[:200])
            if response.status_code == 404:
                # The handler ran and did not find the object: the API's own JSON answer,
                # never Django's page for a route that does not exist.
                assert response["Content-Type"].startswith("application/json"), (method, path)
                assert "detail" in response.json(), (method, path)
    assert ("POST", "/api/v1/customers/imports") in walked
    assert len(walked) >= 30
