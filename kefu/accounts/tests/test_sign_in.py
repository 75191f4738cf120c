"""Sign-in: throttling, one message for unknown users and wrong passwords, disabled accounts,
tampered cookies, password rules, argon2."""

import threading
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.test import Client, override_settings
from django.utils.module_loading import import_string

from kefu.accounts import passwords
from kefu.accounts.models import AuditAction, AuditEntry, SignInFailure, User
from kefu.accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "用户名或密码错误。"


def post_sign_in(client, username, password, ip="10.0.0.7"):
    return client.post(
        "/accounts/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_sign_in_lands_on_the_workbench_and_is_audited_with_the_address():
    user = UserFactory(username="agent7")
    response = post_sign_in(Client(), "agent7", PASSWORD, ip="192.0.2.10")
    assert response.status_code == 302 and response["Location"] == "/"
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert (entry.actor, entry.ip_address) == (user, "192.0.2.10")


def test_unknown_user_and_wrong_password_get_the_same_message():
    UserFactory(username="agent7")
    unknown = post_sign_in(Client(), "nobody", "whatever123")
    wrong = post_sign_in(Client(), "agent7", "wrong-password1")
    assert unknown.status_code == wrong.status_code == 401
    assert WRONG in unknown.content.decode()
    assert WRONG in wrong.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED).count() == 2


def test_repeated_failures_lock_the_user_name_even_for_the_right_password():
    UserFactory(username="agent7")
    client = Client()
    for _ in range(settings.KEFU_SIGN_IN_MAX_FAILURES):
        post_sign_in(client, "agent7", "wrong-password1")
    response = post_sign_in(client, "agent7", PASSWORD)
    assert response.status_code == 401
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(
        action=AuditAction.SIGN_IN_LOCKED, actor_username="agent7"
    ).exists()


def test_unknown_user_names_are_locked_the_same_way():
    client = Client()
    for _ in range(settings.KEFU_SIGN_IN_MAX_FAILURES):
        post_sign_in(client, "ghost", "wrong-password1")
    assert "登录失败次数过多" in post_sign_in(client, "ghost", "x").content.decode()


@override_settings(KEFU_SIGN_IN_MAX_FAILURES_PER_ADDRESS=3)
def test_one_address_trying_many_names_is_locked():
    UserFactory(username="agent7")
    client = Client()
    for name in ["a1", "a2", "a3"]:
        post_sign_in(client, name, "wrong-password1", ip="203.0.113.5")
    assert post_sign_in(client, "agent7", PASSWORD, ip="203.0.113.5").status_code == 401
    assert post_sign_in(Client(), "agent7", PASSWORD, ip="203.0.113.6").status_code == 302


def test_failures_outside_the_window_do_not_count():
    UserFactory(username="agent7")
    for _ in range(settings.KEFU_SIGN_IN_MAX_FAILURES):
        post_sign_in(Client(), "agent7", "wrong-password1")
    SignInFailure.objects.update(created_at="2020-01-01T00:00:00Z")
    assert post_sign_in(Client(), "agent7", PASSWORD).status_code == 302


def test_a_disabled_account_is_told_so_only_with_the_right_password():
    UserFactory(username="agent7", is_active=False)
    right = post_sign_in(Client(), "agent7", PASSWORD).content.decode()
    wrong = post_sign_in(Client(), "agent7", "wrong-password1").content.decode()
    assert "账号已停用" in right
    assert WRONG in wrong and "停用" not in wrong


def test_a_tampered_session_cookie_is_treated_as_signed_out():
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "forged-session-key-0123456789abcdef"
    response = client.get("/settings/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_next_parameter_cannot_send_users_to_another_site():
    UserFactory(username="agent7")
    response = Client().post(
        "/accounts/sign-in/?next=https://evil.example/",
        {"username": "agent7", "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_sign_out_is_audited_and_ends_the_session():
    user = UserFactory(username="agent7")
    client = Client()
    post_sign_in(client, "agent7", PASSWORD)
    client.post("/accounts/sign-out/")
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_OUT, actor=user).exists()


def test_production_hashes_passwords_with_argon2():
    import kefu.settings as production

    assert production.PASSWORD_HASHERS[0] == "kefu.accounts.passwords.BoundedArgon2PasswordHasher"
    hasher = import_string(production.PASSWORD_HASHERS[0])()
    assert isinstance(hasher, Argon2PasswordHasher) and hasher.algorithm == "argon2"
    # the same parameters and stored format as Django's: hashes made before still verify, and back
    encoded = Argon2PasswordHasher().encode("Secret2026pass", "saltsaltsalt")
    assert hasher.verify("Secret2026pass", encoded) and not hasher.verify("wrong2026pass", encoded)
    assert Argon2PasswordHasher().verify(
        "Secret2026pass", hasher.encode("Secret2026pass", "s" * 12)
    )


def test_simultaneous_password_checks_hash_one_at_a_time(settings, monkeypatch):
    """Each Argon2 hash holds 100 MiB: four sign-ins at once must not hold four of them."""
    import argon2

    settings.PASSWORD_HASHERS = ["kefu.accounts.passwords.BoundedArgon2PasswordHasher"]
    monkeypatch.setattr(passwords, "_hashing_slots", None)  # sized from this test's settings
    running, most, lock = [0], [0], threading.Lock()
    real_hash, real_verify = argon2.low_level.hash_secret, argon2.PasswordHasher.verify

    def counted(real):
        def call(*args, **kwargs):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            try:
                time.sleep(0.05)  # long enough for the other threads to arrive
                return real(*args, **kwargs)
            finally:
                with lock:
                    running[0] -= 1

        return call

    monkeypatch.setattr(argon2.low_level, "hash_secret", counted(real_hash))
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted(real_verify))
    encoded = make_password("Secret2026pass")
    results = []

    def check(password):
        results.append(check_password(password, encoded))

    threads = [
        threading.Thread(target=check, args=(p,))
        for p in ("Secret2026pass", "wrong2026pass", "Secret2026pass", "other2026pass")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False, False, True, True]
    assert most[0] == 1
    # a setting lets more through, never more than it says
    settings.KEFU_PASSWORD_HASHES_AT_ONCE = 2
    monkeypatch.setattr(passwords, "_hashing_slots", None)
    most[0] = 0
    threads = [threading.Thread(target=check, args=("Secret2026pass",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert most[0] == 2


def test_signing_in_with_the_production_hasher(settings):
    settings.PASSWORD_HASHERS = ["kefu.accounts.passwords.BoundedArgon2PasswordHasher"]
    UserFactory(username="agent8")  # its password is hashed with Argon2 now
    assert User.objects.get(username="agent8").password.startswith("argon2$")
    response = post_sign_in(Client(), "agent8", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1a", "密码太短"),
        ("onlyletterslong", "必须同时包含字母和数字"),
        ("12345678901234", "只包含数字"),
        ("password123", "太常见"),
    ],
)
def test_password_rules_are_enforced_on_new_users(client_for, password, message):
    client, _manager = client_for(Role.MANAGER)
    response = client.post(
        "/settings/users/new/",
        {
            "username": "newagent",
            "role": Role.AGENT,
            "password": password,
            "display_name": "新人",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    from kefu.accounts.models import User

    assert not User.objects.filter(username="newagent").exists()


def test_user_names_are_case_insensitive_even_for_accounts_made_outside_kefu():
    user = UserFactory(
        username="Zhang.Wei"
    )  # e.g. made by `manage.py createsuperuser` or the admin
    for typed in ("zhang.wei", "ZHANG.WEI", " Zhang.Wei "):
        client = Client()
        assert post_sign_in(client, typed, PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)


def test_a_successful_sign_in_is_not_counted_as_a_failure():
    UserFactory(username="agent7")
    for _ in range(settings.KEFU_SIGN_IN_MAX_FAILURES + 2):
        assert post_sign_in(Client(), "agent7", PASSWORD).status_code == 302
    assert not SignInFailure.objects.exists()
    assert post_sign_in(Client(), "agent7", PASSWORD).status_code == 302


def test_the_admin_signs_in_through_kefus_own_page():
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/admin/"
