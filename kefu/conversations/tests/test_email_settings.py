"""Managers set up e-mail inboxes in kefu: the settings page, the write-only password (encrypted at
rest), the connection test against the loopback IMAP server and aiosmtpd, and the fetch status."""

from __future__ import annotations

import json
import socket

import pytest
from django.conf import settings as django_settings
from django.test import Client

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.conversations.email.connection import probe_mail_servers
from kefu.conversations.email.services import poll_all_inboxes, poll_inbox
from kefu.conversations.models import ChannelKind, Inbox, MailProblem, MailSettings
from kefu.conversations.services.mail_inboxes import (
    MailSettingsInvalid,
    check_mail_connection,
    normalise_host,
    save_email_inbox,
)
from kefu.conversations.tests.conftest import (
    PASSWORD,
    USER,
    free_port,
    mail,
    make_inbox,
    running_smtp,
)
from kefu.conversations.tests.imap_server import IMAPServer, Mailbox
from kefu.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from kefu.core.errors import PermissionRefused

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def smtp_server():
    with running_smtp() as (_collector, port):
        yield port


@pytest.fixture
def imap_server():
    box = Mailbox(USER, PASSWORD)
    with IMAPServer(box) as server:
        yield box, server.port


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never says a word (a server that hangs)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def mailbox_form(imap_port: int = 1143, smtp_port: int = 1025, **changes) -> dict:
    data = {
        "name": "售后邮箱",
        "address": "kefu@shop.example",
        "auto_close_minutes": 30,
        "imap_host": "127.0.0.1",
        "imap_port": imap_port,
        "imap_folder": "INBOX",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "username": USER,
        "password": PASSWORD,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}  # unchecked boxes are simply absent


def mailbox_values(imap_port: int, smtp_port: int, **changes) -> dict:
    values = {
        "address": "kefu@shop.example",
        "imap_host": "127.0.0.1",
        "imap_port": imap_port,
        "imap_ssl": False,
        "imap_folder": "INBOX",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_ssl": False,
        "smtp_starttls": False,
        "username": USER,
    }
    values.update(changes)
    return values


def english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def manager_client(make_user):
    return english(sign_in(Client(), make_user(Role.MANAGER)))


@pytest.fixture
def saved_inbox(make_user, imap_server, smtp_server):
    _box, imap_port = imap_server
    return save_email_inbox(
        actor=make_user(Role.MANAGER),
        inbox=None,
        password=PASSWORD,
        name="售后邮箱",
        auto_close_minutes=30,
        **mailbox_values(imap_port, smtp_server),
    )


# The password at rest ----------------------------------------------------------------------------


def test_a_secret_is_stored_encrypted_and_read_back():
    token = encrypt_secret("s3cret-pw 密码")
    assert "s3cret" not in token and token != encrypt_secret(
        "s3cret-pw 密码"
    )  # random IV each time
    assert decrypt_secret(token) == "s3cret-pw 密码"


def test_a_changed_secret_key_makes_the_secret_unreadable_unless_the_old_key_is_a_fallback(
    settings,
):
    token = encrypt_secret("pw")
    settings.SECRET_KEY = "a-completely-different-secret-key-0123456789"
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token)
    settings.SECRET_KEY_FALLBACKS = ["an-unrelated-old-key"]
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token)


def test_rotating_keys_keeps_old_secrets_readable(settings):
    old_key = settings.SECRET_KEY
    token = encrypt_secret("pw")
    settings.KEFU_SECRET_ENCRYPTION_KEY = "an-explicit-encryption-key-for-kefu"
    assert decrypt_secret(token) == "pw"  # made with the key derived from SECRET_KEY
    new_token = encrypt_secret("pw2")
    settings.SECRET_KEY = "rotated-secret-key-0123456789-abcdefghij"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert decrypt_secret(token) == "pw" and decrypt_secret(new_token) == "pw2"


def test_saving_stores_only_the_encrypted_password_and_the_audit_never_holds_it(saved_inbox):
    config = MailSettings.objects.get(inbox=saved_inbox)
    assert saved_inbox.kind == ChannelKind.EMAIL
    assert PASSWORD not in config.password_encrypted and config.get_password() == PASSWORD
    assert PASSWORD not in repr(config) and PASSWORD not in str(config)
    entry = AuditEntry.objects.get(action=AuditAction.INBOX_CHANGED, object_id=str(saved_inbox.pk))
    dumped = json.dumps(entry.details, ensure_ascii=False)
    assert PASSWORD not in dumped and config.password_encrypted not in dumped
    assert entry.details["password_changed"] is True and entry.details["kind"] == "email"
    assert entry.details["mail"]["imap_host"] == "127.0.0.1"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_clear_passwords_and_going_back_decrypts_them():
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # `migrate` as a person runs it (its signals drop and put back the reports' triggers).
    before = [("conversations", "0004_mail")]
    call_command("migrate", "conversations", "0004_mail", verbosity=0)
    try:
        old_apps = MigrationExecutor(connection).loader.project_state(before).apps
        old_inbox = old_apps.get_model("conversations", "Inbox").objects.create(
            name="老邮箱", kind="email", allowed_origins=[]
        )
        old_apps.get_model("conversations", "MailSettings").objects.create(
            inbox=old_inbox,
            address="a@shop.example",
            imap_host="imap.shop.example",
            smtp_host="smtp.shop.example",
            username="a@shop.example",
            password="clear-pw-1",
        )
        call_command("migrate", "conversations", "0006_mail_poll_status", verbosity=0)
        config = MailSettings.objects.get(inbox_id=old_inbox.pk)
        assert (
            "clear-pw-1" not in config.password_encrypted and config.get_password() == "clear-pw-1"
        )

        call_command("migrate", "conversations", "0004_mail", verbosity=0)
        old_apps = MigrationExecutor(connection).loader.project_state(before).apps
        assert (
            old_apps.get_model("conversations", "MailSettings")
            .objects.get(inbox_id=old_inbox.pk)
            .password
            == "clear-pw-1"
        )
    finally:
        call_command("migrate", verbosity=0)


# Validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host"),
    [
        (" IMAP.Exmail.QQ.com. ", "imap.exmail.qq.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("邮件.公司.cn", "邮件.公司.cn"),
        ("mail", "mail"),
    ],
)
def test_host_names_are_normalised(text, host):
    assert normalise_host(text) == host


@pytest.mark.parametrize(
    "text",
    [
        "http://imap.shop.cn",
        "imap.shop.cn:993",
        "imap shop.cn",
        "imap.shop.cn/x",
        "-imap.shop.cn",
        "a..b",
        "",
        "user@imap.shop.cn",
        "999.1.1.1",
        "<script>",
        "imap.shop.cn\x00",
        "x" * 64 + ".cn",
    ],
)
def test_host_names_that_are_not_host_names_are_refused(text):
    from kefu.core.errors import DomainError

    with pytest.raises(DomainError):
        normalise_host(text)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"imap_port": 0}, "imap_port", "from 1 to 65535"),
        ({"smtp_port": 70000}, "smtp_port", "from 1 to 65535"),
        ({"imap_port": "abc"}, "imap_port", "from 1 to 65535"),
        ({"smtp_ssl": "on", "smtp_starttls": "on"}, "smtp_starttls", "not both"),
        ({"imap_host": "https://imap.shop.cn"}, "imap_host", "is not a server name"),
        ({"smtp_host": "smtp.shop.cn:465"}, "smtp_host", "is not a server name"),
        ({"password": ""}, "password", "Enter the password"),
        ({"password": "pw\r\nA1 LOGOUT"}, "password", "without line breaks"),
        ({"username": "a\r\nb"}, "username", "Enter the user name"),
        ({"imap_folder": ""}, "imap_folder", "IMAP folder"),
        ({"address": "not-an-address"}, "address", ""),
    ],
)
def test_invalid_settings_are_refused_with_a_message_on_the_field(
    manager_client, changes, field, message
):
    response = manager_client.post("/settings/inboxes/email/new/", mailbox_form(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert 'data-testid="field-error"' in response.content.decode()
    assert not Inbox.objects.exists() and not MailSettings.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.INBOX_CHANGED).exists()


def test_the_service_refuses_invalid_settings_itself_and_needs_the_settings_right(
    make_user, saved_inbox
):
    manager = make_user(Role.MANAGER)
    with pytest.raises(MailSettingsInvalid) as refused:
        save_email_inbox(
            actor=manager,
            inbox=None,
            password="pw",
            name="x",
            **mailbox_values(0, 25, smtp_ssl=True, smtp_starttls=True),
        )
    assert set(refused.value.errors) == {"imap_port", "smtp_starttls"}
    with pytest.raises(PermissionRefused):
        save_email_inbox(
            actor=make_user(Role.SUPERVISOR),
            inbox=saved_inbox,
            password="other",
            name="改名",
            **mailbox_values(1, 2),
        )
    with pytest.raises(PermissionRefused):
        check_mail_connection(
            actor=make_user(Role.AGENT), inbox=saved_inbox, **mailbox_values(1, 2)
        )
    saved_inbox.refresh_from_db()
    assert saved_inbox.name == "售后邮箱" and Inbox.objects.count() == 1
    assert MailSettings.objects.get(inbox=saved_inbox).get_password() == PASSWORD


# The settings page -------------------------------------------------------------------------------


def test_a_manager_creates_an_email_inbox_and_the_password_is_never_shown_back(manager_client):
    response = manager_client.post(
        "/settings/inboxes/email/new/",
        mailbox_form(1143, 1025, imap_host="IMAP.Shop.Example"),
        follow=True,
    )
    inbox = Inbox.objects.get()
    config = inbox.mail
    assert (inbox.kind, inbox.name, config.imap_host, config.imap_port, config.imap_ssl) == (
        ChannelKind.EMAIL,
        "售后邮箱",
        "imap.shop.example",
        1143,
        False,
    )
    assert config.get_password() == PASSWORD
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/settings/inboxes/email/{inbox.pk}/"
    assert "E-mail inbox “售后邮箱” saved." in page
    assert PASSWORD not in page and config.password_encrypted not in page
    assert (
        'type="password" name="password"' in page and "A password is saved and never shown" in page
    )
    listing = manager_client.get("/settings/inboxes/").content.decode()
    assert (
        "kefu@shop.example" in listing and "Not fetched yet" in listing and PASSWORD not in listing
    )


def test_an_empty_password_keeps_the_saved_one(manager_client, saved_inbox):
    config = saved_inbox.mail
    token = config.password_encrypted
    response = manager_client.post(
        f"/settings/inboxes/email/{saved_inbox.pk}/",
        mailbox_form(
            config.imap_port, config.smtp_port, password="", imap_folder="Support", name="售后"
        ),
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.imap_folder, config.password_encrypted, config.get_password()) == (
        "Support",
        token,
        PASSWORD,
    )
    entry = AuditEntry.objects.filter(object_id=str(saved_inbox.pk)).latest("id")
    assert entry.details["password_changed"] is False and sorted(entry.details["changed"]) == [
        "imap_folder",
        "name",
    ]


def test_a_new_server_needs_the_password_again(manager_client, saved_inbox):
    """Else a manager could send the saved password to a server of their own and read it there."""
    config = saved_inbox.mail
    response = manager_client.post(
        f"/settings/inboxes/email/{saved_inbox.pk}/",
        mailbox_form(
            config.imap_port, config.smtp_port, password="", imap_host="imap.elsewhere.example"
        ),
    )
    assert response.status_code == 200
    assert "Enter the password again" in " ".join(response.context["form"].errors["password"])
    config.refresh_from_db()
    assert config.imap_host == "127.0.0.1" and config.get_password() == PASSWORD
    check = manager_client.post(
        f"/settings/inboxes/email/{saved_inbox.pk}/check/",
        mailbox_form(
            config.imap_port, config.smtp_port, password="", smtp_host="smtp.elsewhere.example"
        ),
        HTTP_HX_REQUEST="true",
    )
    assert (
        "Enter the password again" in check.content.decode()
        and 'data-testid="check-report"' not in check.content.decode()
    )


def test_a_hostile_inbox_name_is_shown_as_text(manager_client):
    for index, name in enumerate(HOSTILE_STRINGS[:3]):
        manager_client.post(
            "/settings/inboxes/email/new/",
            mailbox_form(1143, 1025, name=name, address=f"k{index}@shop.example"),
        )
    listing = manager_client.get("/settings/inboxes/").content.decode()
    assert Inbox.objects.count() == 3
    assert "<script>alert" not in listing and "&lt;script&gt;alert" in listing
    assert "<img src=x" not in listing


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR, Role.DEPARTMENT_STAFF]
)
def test_only_managers_set_up_email_inboxes(make_user, saved_inbox, role):
    client = sign_in(Client(), make_user(role))
    form = mailbox_form(1143, 1025)
    assert client.get("/settings/inboxes/email/new/").status_code == 403
    assert client.post("/settings/inboxes/email/new/", form).status_code == 403
    assert client.get(f"/settings/inboxes/email/{saved_inbox.pk}/").status_code == 403
    assert (
        client.post(
            f"/settings/inboxes/email/{saved_inbox.pk}/", {**form, "name": "改名"}
        ).status_code
        == 403
    )
    assert client.post("/settings/inboxes/email/new/check/", form).status_code == 403
    assert client.post(f"/settings/inboxes/email/{saved_inbox.pk}/check/", form).status_code == 403
    assert Inbox.objects.count() == 1 and Inbox.objects.get().name == "售后邮箱"


def test_a_chat_inbox_is_not_an_email_inbox_and_back(manager_client, saved_inbox):
    web = make_inbox()
    assert manager_client.get(f"/settings/inboxes/email/{web.pk}/").status_code == 404
    assert (
        manager_client.post(
            f"/settings/inboxes/email/{web.pk}/check/", mailbox_form(1, 2)
        ).status_code
        == 404
    )
    assert manager_client.get(f"/settings/inboxes/{saved_inbox.pk}/").status_code == 404
    assert manager_client.get("/settings/inboxes/email/new/check/").status_code == 405


# The connection test -----------------------------------------------------------------------------


def test_the_connection_test_signs_in_to_both_servers_with_unsaved_settings(
    manager_client, imap_server, smtp_server
):
    box, imap_port = imap_server
    response = manager_client.post(
        "/settings/inboxes/email/new/check/",
        mailbox_form(imap_port, smtp_server),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="check-report"' in page
    assert "The connection works: kefu signed in to both servers." in page
    assert "LOGIN ***" in box.commands and "SELECT" in box.commands and "LOGOUT" in box.commands
    assert not Inbox.objects.exists()  # nothing saved


def test_the_connection_test_says_which_part_refused_the_password(
    manager_client, imap_server, smtp_server
):
    _box, imap_port = imap_server
    response = manager_client.post(
        "/settings/inboxes/email/new/check/",
        mailbox_form(imap_port, smtp_server, password="wrong-pw-123"),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "The connection test failed." in page
    assert page.count("The server refused the user name or password") == 2  # IMAP and SMTP
    assert "AUTHENTICATIONFAILED" in page and "535" in page  # the servers' own words
    assert "wrong-pw-123" not in page and "Traceback" not in page


def test_the_connection_test_uses_the_saved_password_when_none_is_typed(
    manager_client, saved_inbox
):
    config = saved_inbox.mail
    response = manager_client.post(
        f"/settings/inboxes/email/{saved_inbox.pk}/check/",
        mailbox_form(config.imap_port, config.smtp_port, password=""),
        HTTP_HX_REQUEST="true",
    )
    assert "The connection works" in response.content.decode()


def test_without_htmx_the_connection_test_shows_the_whole_page(
    manager_client, imap_server, smtp_server
):
    _box, imap_port = imap_server
    response = manager_client.post(
        "/settings/inboxes/email/new/check/",
        mailbox_form(imap_port, smtp_server, imap_folder="Archive"),
    )
    page = response.content.decode()
    assert 'data-testid="email-inbox-form"' in page and "The mail folder cannot be opened" in page
    assert "Receiving (IMAP)" in page and PASSWORD not in page


def test_a_closed_port_an_unknown_host_and_ssl_on_a_plain_port_are_told_apart(
    imap_server, smtp_server
):
    _box, imap_port = imap_server
    closed = free_port()
    report = probe_mail_servers(
        MailSettings(**mailbox_values(closed, closed)), password=PASSWORD, timeout=2
    )
    assert (report.imap.problem, report.smtp.problem) == (MailProblem.REFUSED, MailProblem.REFUSED)
    report = probe_mail_servers(
        MailSettings(
            **mailbox_values(
                imap_port,
                smtp_server,
                imap_host="no-such-host.invalid",
                smtp_host="no-such-host.invalid",
            )
        ),
        password=PASSWORD,
        timeout=2,
    )
    assert (report.imap.problem, report.smtp.problem) == (
        MailProblem.HOST_NOT_FOUND,
        MailProblem.HOST_NOT_FOUND,
    )
    report = probe_mail_servers(
        MailSettings(**mailbox_values(imap_port, smtp_server, imap_ssl=True, smtp_ssl=True)),
        password=PASSWORD,
        timeout=2,
    )
    assert (report.imap.problem, report.smtp.problem) == (MailProblem.TLS, MailProblem.TLS)
    assert not report.ok


def test_a_server_that_never_answers_times_out_quickly(silent_port):
    import time

    started = time.monotonic()
    report = probe_mail_servers(
        MailSettings(**mailbox_values(silent_port, silent_port)), password=PASSWORD, timeout=0.5
    )
    assert (report.imap.problem, report.smtp.problem) == (MailProblem.TIMEOUT, MailProblem.TIMEOUT)
    assert time.monotonic() - started < 3  # both at once, each within its timeout


def test_an_unreadable_saved_password_is_reported_without_connecting(
    make_user, saved_inbox, imap_server, settings
):
    box, _port = imap_server
    settings.SECRET_KEY = "another-secret-key-after-a-reinstall-0123456789"
    config = saved_inbox.mail
    report = check_mail_connection(
        actor=make_user(Role.MANAGER),
        inbox=saved_inbox,
        **mailbox_values(config.imap_port, config.smtp_port),
    )
    assert report.imap.problem == report.smtp.problem == MailProblem.PASSWORD_UNREADABLE
    assert "LOGIN ***" not in box.commands


# Fetching status ---------------------------------------------------------------------------------


def test_a_failed_poll_is_kept_and_shown_until_a_poll_succeeds(
    manager_client, saved_inbox, imap_server, caplog
):
    box, _port = imap_server
    box.deliver(mail("plain"))
    config = saved_inbox.mail
    box.password = "changed-at-the-provider"
    assert poll_all_inboxes() == 0
    config.refresh_from_db()
    assert (config.last_error, config.last_polled_at, config.is_failing) == (
        MailProblem.LOGIN,
        None,
        True,
    )
    assert "AUTHENTICATIONFAILED" in config.last_error_detail and PASSWORD not in caplog.text
    listing = manager_client.get("/settings/inboxes/").content.decode()
    assert "Fetching fails" in listing and "The server refused the user name or password" in listing

    box.password = PASSWORD
    assert poll_inbox(saved_inbox) == 1
    config.refresh_from_db()
    assert config.last_polled_at is not None and not config.is_failing
    listing = manager_client.get("/settings/inboxes/").content.decode()
    assert "Fetching works" in listing and 'data-testid="last-fetched"' in listing
    page = manager_client.get(f"/settings/inboxes/email/{saved_inbox.pk}/").content.decode()
    assert (
        "Fetching works" in page and "The server refused the user name or password" in page
    )  # the earlier error


def test_one_failing_inbox_does_not_stop_the_others(
    make_user, saved_inbox, imap_server, smtp_server
):
    box, imap_port = imap_server
    box.deliver(mail("plain"))
    working = save_email_inbox(
        actor=make_user(Role.MANAGER),
        inbox=None,
        password=PASSWORD,
        name="好邮箱",
        **mailbox_values(imap_port, smtp_server, address="b@shop.example"),
    )
    MailSettings.objects.filter(inbox=saved_inbox).update(
        imap_port=free_port()
    )  # polled first: inboxes go by id
    assert poll_all_inboxes() == 1
    assert MailSettings.objects.get(inbox=saved_inbox).last_error == MailProblem.REFUSED
    assert MailSettings.objects.get(inbox=working).last_polled_at is not None


def test_a_poll_with_an_unreadable_password_says_to_enter_it_again(
    saved_inbox, imap_server, settings
):
    box, _port = imap_server
    settings.SECRET_KEY = "another-secret-key-after-a-reinstall-0123456789"
    with pytest.raises(SecretUnreadable):
        poll_inbox(saved_inbox)
    assert MailSettings.objects.get(inbox=saved_inbox).last_error == MailProblem.PASSWORD_UNREADABLE
    assert "LOGIN ***" not in box.commands


# The admin site ----------------------------------------------------------------------------------


def test_the_admin_site_shows_mailboxes_read_only_and_never_the_password(make_user, saved_inbox):
    client = english(sign_in(Client(), make_user(Role.ADMINISTRATOR)))
    config = saved_inbox.mail
    page = client.get(f"/admin/conversations/mailsettings/{config.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "127.0.0.1" in html and PASSWORD not in html and config.password_encrypted not in html
    assert 'name="password' not in html
    assert client.get("/admin/conversations/mailsettings/add/").status_code == 403
    assert (
        client.post(
            f"/admin/conversations/mailsettings/{config.pk}/change/", {"imap_host": "x"}
        ).status_code
        == 403
    )
    config.refresh_from_db()
    assert config.imap_host == "127.0.0.1"
