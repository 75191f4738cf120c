"""Fixtures shared by every app's tests: users by role, signed-in clients, hostile strings."""

import os

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kefu.accounts.roles import Role
from tests.factories import PASSWORD, DepartmentFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Values a process keeps until their source changes (kefu.core.process_cache) are not carried
    from one test to the next: a test's rows are rolled back without a signal."""
    from kefu.core.process_cache import forget_all

    forget_all()
    yield
    forget_all()


HOSTILE_STRINGS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "😀 张伟 𠀀",
    "\u202etxt.exe",
    "Robert'); DROP TABLE accounts_user;--",
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tleading tab",
]

# Control characters in front of a formula prefix: a check that runs before the stripping lets
# "\u0001=1+1" through as "=1+1" (issue 10.12). Kept apart from HOSTILE_STRINGS because NUL and
# friends are refused or stripped at the boundaries; exports and imports test with both lists.
HOSTILE_CONTROL_STRINGS = [
    "\u0001=1+1",
    "\x02=3+4",
    "\x1f@SUM(A1)",
    "\x0b-2+3",
    "\x07\x08+1+1",
]


def totp_code(user) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed").first()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, user, *, password: str = PASSWORD) -> Client:
    """Sign `user` in through the real page, passing the second factor where the role needs it."""
    response = client.post("/accounts/sign-in/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if user.requires_two_factor:
        client.get("/accounts/two-factor/")  # creates the device being set up
        response = client.post("/accounts/two-factor/", {"code": totp_code(user)})
        assert response.status_code == 302
    return client


@pytest.fixture
def department(db):
    return DepartmentFactory(code="cs", name="客服部", is_customer_service=True)


@pytest.fixture
def make_user(db, department):
    def make(role: str = Role.AGENT, **kwargs):
        kwargs.setdefault("department", department)
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def client_for(make_user):
    """client_for(Role.MANAGER) → (client signed in as a new manager, the user)."""

    def make(role: str, **kwargs):
        user = make_user(role, **kwargs)
        return sign_in(Client(), user), user

    return make
