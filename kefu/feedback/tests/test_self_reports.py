"""Reports the customer sends themselves (issue 16 item 5): the chat widget's feedback form and the
signed webhook. Both become a report on the development department's list with the customer found
by contact (or made), validated at the boundary, refused with nothing stored, shown escaped."""

import html
import json
import time

import pytest
from django.test import Client, override_settings

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.roles import Role
from kefu.conversations import identity
from kefu.conversations.models import Visitor
from kefu.conversations.tests.conftest import ORIGIN, make_inbox
from kefu.core.models import TimelineEntry
from kefu.core.signing import sign
from kefu.customers.models import Customer
from kefu.feedback.models import FeedbackReport, ReportChannel

pytestmark = pytest.mark.django_db

SECRET = "feedback-webhook-test-secret"


@pytest.fixture
def inbox():
    return make_inbox()


@pytest.fixture
def visitor(inbox):
    return Visitor.objects.create(inbox=inbox)


def send_form(inbox, visitor, data, *, origin=ORIGIN, token=None):
    return Client(headers={"origin": origin}).post(
        f"/widget/{inbox.public_key}/feedback/",
        json.dumps(data),
        content_type="application/json",
        headers={
            "x-kefu-token": token
            if token is not None
            else identity.make_visitor_token(inbox_id=inbox.pk, token_id=visitor.token_id)
        },
    )


FORM = {
    "name": "李雷",
    "contact": "13800138000",
    "category": "bug",
    "title": "登录后闪退",
    "steps": "打开游戏，输入账号，点击登录，闪退",
    "version": "3.2.1",
    "device": "Mozilla/5.0 (iPhone)",
}


def test_the_widget_feedback_form_becomes_a_report(inbox, visitor, make_user):
    response = send_form(inbox, visitor, FORM)
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    report = FeedbackReport.objects.get()
    assert response.json() == {"report_id": report.pk}
    assert (report.channel, report.category, report.title, report.app_version) == (
        ReportChannel.WIDGET,
        "bug",
        "登录后闪退",
        "3.2.1",
    )
    assert report.customer.name == "李雷"
    assert report.customer.identities.filter(value="+8613800138000").exists()
    assert TimelineEntry.objects.filter(
        customer_id=report.customer_id, kind="feedback.reported"
    ).exists()
    # the desk sees it on the report's page
    agent = sign_in(Client(), make_user(Role.AGENT))
    assert "登录后闪退" in agent.get(f"/feedback/reports/{report.pk}/").content.decode()
    # the same contact again: the same customer
    send_form(inbox, visitor, {**FORM, "title": "充值不到账"})
    assert Customer.objects.count() == 1 and FeedbackReport.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"title": ""}, 400),
        ({"name": ""}, 400),
        ({"contact": "不是电话"}, 400),
        ({"category": "nonsense"}, 400),
        ({"title": "x" * 5000}, 201),  # cut to 200 characters, as the form's maxlength says
    ],
)
def test_bad_widget_forms_are_refused_with_nothing_stored(inbox, visitor, change, status):
    response = send_form(inbox, visitor, {**FORM, **change})
    assert response.status_code == status
    if status == 400:
        assert response.json()["error"]
        assert FeedbackReport.objects.count() == 0 and Customer.objects.count() == 0


def test_the_widget_form_needs_the_visitor_token_and_an_allowed_origin(inbox, visitor):
    assert send_form(inbox, visitor, FORM, token="forged").status_code == 401
    assert send_form(inbox, visitor, FORM, origin="https://evil.example").status_code == 403
    assert FeedbackReport.objects.count() == 0


def test_a_flood_of_widget_reports_is_refused(inbox, visitor):
    for i in range(5):
        assert send_form(inbox, visitor, {**FORM, "title": f"问题 {i}"}).status_code == 201
    assert send_form(inbox, visitor, FORM).status_code == 400
    assert FeedbackReport.objects.count() == 5


# --- the signed webhook --------------------------------------------------------------------------


def post_hook(body, *, secret=SECRET, timestamp=None, signature=None):
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    ts = int(time.time()) if timestamp is None else timestamp
    return Client().post(
        "/feedback/webhook/",
        raw,
        content_type="application/json",
        headers={
            "x-kefu-timestamp": str(ts),
            "x-kefu-signature": signature or "sha256=" + sign(raw, timestamp=ts, secret=secret),
        },
    )


HOOK = {
    "id": "tracker-1001",
    "customer": {"name": "韩梅梅", "mobile": "13900139000"},
    "category": "bug",
    "severity": "high",
    "title": "副本结算卡住",
    "steps": "打完副本点结算，一直转圈",
    "device": "iPhone 15, iOS 18",
    "version": "3.2.1",
}


@override_settings(KEFU_FEEDBACK_WEBHOOK_SECRET=SECRET)
def test_a_signed_webhook_report_is_stored_once():
    first = post_hook(HOOK)
    assert first.status_code == 201, first.content
    report = FeedbackReport.objects.get()
    assert first.json() == {"report_id": report.pk, "created": True}
    assert (report.channel, report.severity, report.source_id, report.device) == (
        ReportChannel.WEBHOOK,
        "high",
        "tracker-1001",
        "iPhone 15, iOS 18",
    )
    again = post_hook(HOOK)
    assert again.status_code == 200
    assert again.json() == {"report_id": report.pk, "created": False}
    assert FeedbackReport.objects.count() == 1 and Customer.objects.count() == 1


@override_settings(KEFU_FEEDBACK_WEBHOOK_SECRET=SECRET)
def test_unsigned_stale_or_bad_webhook_calls_are_refused_with_nothing_stored():
    assert post_hook(HOOK, secret="wrong").status_code == 401
    assert post_hook(HOOK, signature="deadbeef").status_code == 401
    assert post_hook(HOOK, timestamp=int(time.time()) - 3600).status_code == 401
    assert post_hook(b"not json").status_code == 400
    assert post_hook([1, 2]).status_code == 400
    assert post_hook({**HOOK, "customer": {"name": "无联系方式"}}).status_code == 400
    assert post_hook({**HOOK, "title": ""}).status_code == 400
    assert post_hook({**HOOK, "severity": "apocalyptic"}).status_code == 400
    assert post_hook({**HOOK, "title": {"nested": 1}}).status_code == 400
    assert post_hook(b"{" + b" " * (70 * 1024) + b"}").status_code == 413
    assert Client().get("/feedback/webhook/").status_code == 405
    assert FeedbackReport.objects.count() == 0 and Customer.objects.count() == 0


def test_the_webhook_is_off_without_a_secret():
    assert post_hook(HOOK).status_code == 503
    assert FeedbackReport.objects.count() == 0


@override_settings(KEFU_FEEDBACK_WEBHOOK_SECRET=SECRET)
@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_webhook_and_widget_text_is_shown_escaped(inbox, visitor, make_user, hostile):
    post_hook({**HOOK, "id": "h", "title": hostile, "steps": hostile, "device": hostile})
    send_form(inbox, visitor, {**FORM, "title": hostile, "steps": hostile, "name": hostile})
    agent = sign_in(Client(), make_user(Role.AGENT))
    for report in FeedbackReport.objects.all():
        page = agent.get(f"/feedback/reports/{report.pk}/").content.decode()
        if "<" in hostile:
            assert hostile not in page
        assert html.escape(report.title) in page
    assert FeedbackReport.objects.count() == 2
