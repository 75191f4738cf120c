"""A manager sets up an e-mail inbox in the browser: tests the connection with a wrong and then the
right password (against the loopback IMAP server and aiosmtpd), saves, and finds it in the list."""

import base64
import re

import pytest
from django.conf import settings
from django_otp.oath import TOTP

from kefu.accounts.roles import Role
from kefu.conversations.models import ChannelKind, Inbox
from kefu.conversations.tests.conftest import PASSWORD, USER, running_smtp
from kefu.conversations.tests.imap_server import IMAPServer, Mailbox
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


@pytest.fixture
def mail_servers():
    with running_smtp() as (_collector, smtp_port), IMAPServer(Mailbox(USER, PASSWORD)) as imap:
        yield imap.port, smtp_port


def test_a_manager_sets_up_an_email_inbox_and_tests_its_connection(page, live_server, mail_servers):
    imap_port, smtp_port = mail_servers
    cs = DepartmentFactory(code="cs", name="客服部", is_customer_service=True)
    UserFactory(username="manager", display_name="周经理", role=Role.MANAGER, department=cs)
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    sign_in(page, "manager")
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("6位验证码").fill(f"{TOTP(base64.b32decode(secret)).token():06d}")
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(re.compile(r"/accounts/recovery-codes/"))  # shown once after setting up
    page.get_by_role("link", name="我已保存").click()
    page.wait_for_url(re.compile(r"/$"))
    # The strings are read in English: the Chinese catalogue is not this journey's subject.
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )

    page.goto("/settings/inboxes/")
    page.get_by_test_id("new-email-inbox").click()
    page.get_by_label("Name", exact=True).fill("售后邮箱 <b>")
    page.get_by_label("E-mail address").fill("kefu@shop.example")
    page.get_by_label("IMAP server").fill("127.0.0.1")
    page.get_by_label("IMAP port").fill(str(imap_port))
    page.get_by_label("IMAP over SSL").first.uncheck()
    page.get_by_label("SMTP server").fill("127.0.0.1")
    page.get_by_label("SMTP port").fill(str(smtp_port))
    page.get_by_label("SMTP over SSL").first.uncheck()
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill("wrong-pw-123")

    page.get_by_test_id("check-connection").click()
    report = page.get_by_test_id("check-report")
    report.wait_for()
    assert "The connection test failed." in report.inner_text()
    assert (
        "The server refused the user name or password"
        in page.get_by_test_id("check-imap").inner_text()
    )
    assert (
        "The server refused the user name or password"
        in page.get_by_test_id("check-smtp").inner_text()
    )
    screenshot(page, "email-inbox-check-failed")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("check-connection").click()
    page.get_by_text("The connection works: kefu signed in to both servers.").wait_for()
    assert not Inbox.objects.filter(kind=ChannelKind.EMAIL).exists()  # testing saves nothing
    screenshot(page, "email-inbox-check-works")

    page.get_by_test_id("save").click()
    page.get_by_text("E-mail inbox “售后邮箱 <b>” saved.").wait_for()
    inbox = Inbox.objects.get(kind=ChannelKind.EMAIL)
    assert inbox.mail.get_password() == PASSWORD
    assert page.get_by_label("Password").input_value() == ""  # write-only: never filled back in
    page.get_by_role("link", name="Back to the inboxes").click()
    row = page.get_by_test_id(f"email-inbox-{inbox.pk}")
    assert "kefu@shop.example" in row.inner_text() and "Not fetched yet" in row.inner_text()
    screenshot(page, "email-inboxes-list")
