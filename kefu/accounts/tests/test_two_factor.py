"""Two-factor sign-in (TOTP) is required for managers and administrators, and only for them."""

import pytest
from django.test import Client

from conftest import totp_code
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def password_only(user) -> Client:
    client = Client()
    assert (
        client.post(
            "/accounts/sign-in/", {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    return client


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMINISTRATOR])
@pytest.mark.parametrize("url", ["/", "/settings/users/", "/admin/"])
def test_password_alone_reaches_nothing_for_managers_and_administrators(make_user, role, url):
    client = password_only(make_user(role))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/")


def test_the_api_refuses_an_unverified_session(make_user):
    client = password_only(make_user(Role.MANAGER))
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "role", [Role.SUPERVISOR, Role.AGENT, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_other_roles_need_no_second_factor(make_user, role):
    client = password_only(make_user(role))
    assert client.get("/").status_code == 200


def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(make_user):
    manager = make_user(Role.MANAGER)
    client = password_only(manager)
    page = client.get("/accounts/two-factor/").content.decode()
    assert "data:image/svg+xml;base64," in page
    assert 'data-testid="totp-secret"' in page
    response = client.post("/accounts/two-factor/", {"code": totp_code(manager)})
    assert response.status_code == 302
    assert client.get("/settings/users/").status_code == 200
    assert (
        AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR_ENROLLED, actor=manager).count()
        == 1
    )


def test_a_wrong_code_is_refused_and_audited(make_user):
    manager = make_user(Role.MANAGER)
    client = password_only(manager)
    client.get("/accounts/two-factor/")
    good = totp_code(manager)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/two-factor/", {"code": bad})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR_FAILED, actor=manager).exists()


def test_an_enrolled_manager_verifies_at_the_next_sign_in_without_a_new_qr_code(make_user):
    manager = make_user(Role.MANAGER)
    first = password_only(manager)
    first.get("/accounts/two-factor/")
    first.post("/accounts/two-factor/", {"code": totp_code(manager)})
    second = password_only(manager)
    page = second.get("/accounts/two-factor/").content.decode()
    assert "data:image/svg+xml" not in page
    assert second.get("/").status_code == 302


def test_the_page_asked_for_is_kept_whole_through_the_second_factor(make_user):
    manager = make_user(Role.MANAGER)
    client = password_only(manager)
    response = client.get("/customers/?q=%E5%BC%A0&level=vip")  # 张, as a browser sends it
    assert (
        response["Location"]
        == "/accounts/two-factor/?next=%2Fcustomers%2F%3Fq%3D%25E5%25BC%25A0%26level%3Dvip"
    )
    assert client.get(response["Location"]).status_code == 200  # sets up the authenticator
    done = client.post(response["Location"], {"code": totp_code(manager)})
    # The recovery codes are shown once first; their page goes on to the page asked for.
    assert done.status_code == 302
    assert done["Location"] == (
        "/accounts/recovery-codes/?next=%2Fcustomers%2F%3Fq%3D%25E5%25BC%25A0%26level%3Dvip"
    )
    codes_page = client.get(done["Location"]).content.decode()
    assert 'href="/customers/?q=%E5%BC%A0&amp;level=vip"' in codes_page


def test_the_admin_site_never_shows_an_authenticator_secret(make_user):
    """Whoever sees a user's TOTP secret can make that user's codes: the admin's pages of a device's
    secret (config, QR code) answer 403 even to an administrator, for an existing device or not."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import sign_in

    admin = make_user(Role.ADMINISTRATOR)
    client = sign_in(Client(), admin)
    device = TOTPDevice.objects.get(user=admin)
    for pk in (device.pk, device.pk + 1000):
        for page in ("config", "qrcode"):
            response = client.get(f"/admin/otp_totp/totpdevice/{pk}/{page}/")
            assert response.status_code == 403, (pk, page, response.status_code)
            assert device.key not in response.content.decode(errors="replace")
