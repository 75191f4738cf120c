"""Every page answers with a Content-Security-Policy and a Permissions-Policy (issue 10.1), whoever
asks: the URL list is walked as each role and as an anonymous visitor."""

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.core.csp import PERMISSIONS_POLICY
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

SAMPLES = {
    "int": 1,
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000001",
}


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            kinds = {
                k: type(v).__name__.removesuffix("Converter").lower() for k, v in converters.items()
            }
            yield f"{namespace}{entry.name}", {k: SAMPLES.get(v, "x") for k, v in kinds.items()}


def every_url() -> list[str]:
    urls = set()
    for name, kwargs in _walk(get_resolver().url_patterns):
        try:
            urls.add(reverse(name, kwargs=kwargs) if kwargs else reverse(name))
        except NoReverseMatch:
            continue  # a regex route with groups (the admin's app index): covered by its siblings
    return sorted(u for u in urls if not u.startswith("/static/"))


def test_the_walk_covers_the_product():
    urls = every_url()
    for expected in ("/", "/customers/", "/tickets/", "/conversations/", "/api/v1/docs", "/admin/"):
        assert expected in urls
    assert len(urls) > 80


@pytest.mark.parametrize(
    "role",
    [
        None,
        Role.ADMINISTRATOR,
        Role.MANAGER,
        Role.SUPERVISOR,
        Role.AGENT,
        Role.INSPECTOR,
        Role.DEPARTMENT_STAFF,
    ],
)
def test_every_page_has_the_policies(make_user, role):
    client = Client()
    if role is not None:
        user = make_user(role)
        if role == Role.DEPARTMENT_STAFF:
            user.department = DepartmentFactory(code="tech", name="技术部")
            user.save()
        sign_in(client, user)
    missing = []
    for url in every_url():
        response = client.get(url)
        policy = response.headers.get("Content-Security-Policy", "")
        if (
            not re.search(r"script-src 'self' 'nonce-[\w-]+'", policy)
            or "unsafe-inline" in policy.split("script-src")[1].split(";")[0]
        ):
            missing.append((url, response.status_code, "csp"))
        if response.headers.get("Permissions-Policy") != PERMISSIONS_POLICY:
            missing.append((url, response.status_code, "permissions"))
        assert response.status_code < 500, url
    assert missing == []


def test_each_request_gets_its_own_nonce(client_for):
    client, _user = client_for(Role.AGENT)
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    nonce = re.compile(r"'nonce-([\w-]+)'")
    assert nonce.search(first).group(1) != nonce.search(second).group(1)
    assert "frame-ancestors 'none'" in first and "object-src 'none'" in first
    assert "'unsafe-eval'" not in first


def test_no_template_has_inline_scripts_or_handlers():
    """An inline handler would not run under the policy: pages use kefu/static/kefu/kefu.js."""
    from pathlib import Path

    import kefu

    root = Path(kefu.__file__).parent
    offenders = []
    handler = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*nonce=)[^>]*>", re.IGNORECASE)
    for template in root.glob("**/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        if handler.search(text) or inline_script.search(text) or re.search(r"=\s*[\"']js:", text):
            offenders.append(str(template.relative_to(root)))
    assert offenders == []
