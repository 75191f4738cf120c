"""Feedback and bugs: three customers report the same bug, it is grouped, fixed, and all three are
told once through the channel they used and on their timeline; the refusals change nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import Inbox, Message, Visitor
from kefu.conversations.services.lifecycle import start_conversation
from kefu.core.errors import DomainError
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import RoleRefused, TransitionRefused
from kefu.customers.models import Customer
from kefu.feedback import selectors, services
from kefu.feedback.events import ProblemOpened, ProblemStateChanged
from kefu.feedback.models import (
    FeedbackReport,
    NoticeOutcome,
    Problem,
    ProblemState,
    ReporterNotice,
)
from kefu.notifications.models import Notification
from kefu.sms.models import SmsMessage, SmsTemplate
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def cast(make_user):
    tech = DepartmentFactory(code="tech", name="技术部")
    warehouse = DepartmentFactory(code="warehouse", name="仓库")

    class Cast:
        agent = make_user(Role.AGENT)
        supervisor = make_user(Role.SUPERVISOR)
        manager = make_user(Role.MANAGER)
        inspector = make_user(Role.INSPECTOR)
        developer = make_user(Role.DEPARTMENT_STAFF, department=tech)
        warehouse_staff = make_user(Role.DEPARTMENT_STAFF, department=warehouse)

    return Cast


@pytest.fixture
def template(db):
    SmsTemplate.objects.create(
        code="feedback_update", name="反馈结果", body="{name}您好，您反馈的“{title}”：{result}。"
    )


def _report(cast, customer, title="登录时闪退", **kwargs):
    values = {
        "actor": cast.agent,
        "customer": customer,
        "channel": "ticket",
        "category": "bug",
        "severity": "high",
        "title": title,
        "steps": "打开App，点击登录",
        "device": "华为 Mate 60",
        "app_version": "2.3.0",
    }
    values.update(kwargs)
    return services.submit_report(**values)


def test_three_customers_report_the_same_bug_it_is_grouped_fixed_and_all_three_are_told_once(
    cast, template, events_for_feedback, django_capture_on_commit_callbacks
):
    by_sms = Customer.objects.create(name="张伟", mobile="+8613800138000")
    by_chat = Customer.objects.create(name="李娜")
    unreachable = Customer.objects.create(name="王芳")
    inbox = Inbox.objects.create(name="网站")
    chat = start_conversation(visitor=Visitor.objects.create(inbox=inbox, customer=by_chat))
    first = _report(cast, by_sms, title="登录时闪退")
    second = _report(cast, by_chat, title="点击登录后闪退", channel="chat", conversation_id=chat.pk)
    third = _report(cast, unreachable, title="App登录闪退")
    with django_capture_on_commit_callbacks(execute=True):
        problem = services.group_report(actor=cast.agent, report_id=first.pk)
    assert events_for_feedback == [ProblemOpened(problem_id=problem.pk, opened_by_id=cast.agent.pk)]
    assert Notification.objects.filter(
        recipient=cast.developer, kind="feedback.problem_opened"
    ).exists()
    assert not Notification.objects.filter(recipient=cast.warehouse_staff).exists()
    events_for_feedback.clear()
    assert selectors.similar_problems(second) == [problem]
    services.group_report(actor=cast.agent, report_id=second.pk, problem_id=problem.pk)
    services.group_report(actor=cast.agent, report_id=third.pk, problem_id=problem.pk)
    assert selectors.problems(cast.agent).get().reporters == 3

    with django_capture_on_commit_callbacks(execute=True):
        services.change_problem_state(
            actor=cast.developer, problem_id=problem.pk, move="fix", fixed_version="2.3.1"
        )
    assert events_for_feedback == [
        ProblemStateChanged(
            problem_id=problem.pk, state=ProblemState.FIXED, changed_by_id=cast.developer.pk
        )
    ]
    outcomes = dict(ReporterNotice.objects.values_list("report_id", "outcome"))
    assert outcomes == {
        first.pk: NoticeOutcome.SMS,
        second.pk: NoticeOutcome.CHAT,
        third.pk: NoticeOutcome.TIMELINE,
    }
    sms = SmsMessage.objects.get()
    assert sms.to == "+8613800138000" and "2.3.1" in sms.body
    told = Message.objects.get(conversation=chat, sender="system")
    assert "2.3.1" in told.body
    for customer in (by_sms, by_chat, unreachable):
        assert (
            TimelineEntry.objects.filter(customer_id=customer.pk, kind="feedback.told").count() == 1
        )
    # Told once: a retried task sends nothing again.
    assert services.tell_reporters(problem_id=problem.pk) == 0
    assert SmsMessage.objects.count() == 1 and ReporterNotice.objects.count() == 3


def test_reporters_without_a_chat_are_told_by_e_mail_when_that_is_their_way(
    cast, django_capture_on_commit_callbacks, mailoutbox
):
    """Issue 16.5 (told through the channel they used): a ticket's reporter by e-mail with the
    ticket's number, SMS when they have no address; a widget reporter who left only an e-mail
    address by e-mail; a refused SMS falls back to e-mail (no SMS template here)."""
    from kefu.tickets.services.tickets import create_ticket

    by_ticket = Customer.objects.create(
        name="张伟", email="zw@example.com", mobile="+8613800138000"
    )
    ticket = create_ticket(
        actor=cast.agent,
        type="consultation",
        customer_id=by_ticket.pk,
        subject="登录闪退",
        content="登录时闪退",
    )
    by_widget = Customer.objects.create(name="李雷", email="ll@example.com")
    by_phone = Customer.objects.create(name="王芳", email="wf@example.com", mobile="+8613800138001")
    reports = [
        _report(cast, by_ticket, channel="ticket", ticket_id=ticket.pk),
        _report(cast, by_widget, channel="widget"),
        _report(cast, by_phone, channel="phone"),
    ]
    problem = services.group_report(actor=cast.agent, report_id=reports[0].pk)
    for report in reports[1:]:
        services.group_report(actor=cast.agent, report_id=report.pk, problem_id=problem.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_problem_state(
            actor=cast.developer, problem_id=problem.pk, move="fix", fixed_version="2.3.1"
        )
    notices = {n.report_id: n for n in ReporterNotice.objects.all()}
    assert [notices[r.pk].outcome for r in reports] == [NoticeOutcome.EMAIL] * 3
    assert "feedback_update" in notices[reports[2].pk].detail  # the SMS refused, then e-mail
    assert not SmsMessage.objects.filter(status="sent").exists()
    mails = {m.to[0]: m for m in mailoutbox}
    assert set(mails) == {"zw@example.com", "ll@example.com", "wf@example.com"}
    assert mails["zw@example.com"].subject.startswith(f"[{ticket.number}] ")
    assert all("2.3.1" in m.body for m in mailoutbox)
    assert services.tell_reporters(problem_id=problem.pk) == 0 and len(mailoutbox) == 3


def test_a_closed_problem_cannot_be_closed_again_and_only_developers_move_it(cast):
    customer = Customer.objects.create(name="张伟")
    problem = services.group_report(actor=cast.agent, report_id=_report(cast, customer).pk)
    for someone in (cast.agent, cast.warehouse_staff, cast.inspector):
        with pytest.raises(RoleRefused):
            services.change_problem_state(
                actor=someone, problem_id=problem.pk, move="fix", fixed_version="1"
            )
    with pytest.raises(DomainError, match="version"):
        services.change_problem_state(actor=cast.developer, problem_id=problem.pk, move="fix")
    services.change_problem_state(
        actor=cast.developer, problem_id=problem.pk, move="wont_fix", note="设计如此"
    )
    with pytest.raises(TransitionRefused, match="only possible from"):
        services.change_problem_state(
            actor=cast.developer, problem_id=problem.pk, move="fix", fixed_version="2"
        )
    problem.refresh_from_db()
    assert problem.state == ProblemState.WONT_FIX and problem.fixed_version == ""
    # A supervisor may move problems too; a closed problem takes no new report.
    other = _report(cast, customer, title="别的问题")
    with pytest.raises(DomainError, match="closed"):
        services.group_report(actor=cast.agent, report_id=other.pk, problem_id=problem.pk)
    assert FeedbackReport.objects.get(pk=other.pk).problem_id is None


def test_screenshots_must_be_images_and_a_refused_one_stores_nothing(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer = Customer.objects.create(name="张伟")
    with pytest.raises(DomainError, match="Screenshots must be images"):
        _report(
            cast,
            customer,
            screenshots=[
                SimpleUploadedFile("a.png", PNG),
                SimpleUploadedFile("b.pdf", b"%PDF-1.4 x"),
            ],
        )
    assert not FeedbackReport.objects.exists() and not list(tmp_path.rglob("*.*"))
    report = _report(cast, customer, screenshots=[SimpleUploadedFile("a.png", PNG)])
    assert report.screenshots.count() == 1


@pytest.fixture
def events_for_feedback():
    from kefu.core.events import Delivery, subscribe, unsubscribe

    got: list = []
    for t in (ProblemStateChanged, ProblemOpened):
        subscribe(t, got.append, mode=Delivery.INLINE)
    yield got
    for t in (ProblemStateChanged, ProblemOpened):
        unsubscribe(t, got.append)


def test_pages_by_role(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer = Customer.objects.create(name="张伟", owner=cast.agent)
    desk = sign_in(Client(), cast.agent)
    response = desk.post(
        "/feedback/reports/new/",
        {
            "customer": customer.pk,
            "channel": "phone",
            "category": "bug",
            "severity": "high",
            "title": HOSTILE_STRINGS[0],
            "steps": HOSTILE_STRINGS[1],
            "screenshots": [SimpleUploadedFile("s.png", PNG)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    report = FeedbackReport.objects.get()
    html = desk.get(f"/feedback/reports/{report.pk}/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert (
        desk.post(f"/feedback/reports/{report.pk}/group/", {"title": "登录闪退"}).status_code == 302
    )
    problem = Problem.objects.get()
    for user, status in [
        (cast.agent, 200),
        (cast.developer, 200),
        (cast.warehouse_staff, 200),
        (cast.inspector, 403),
    ]:
        assert sign_in(Client(), user).get("/feedback/").status_code == status
    assert (
        sign_in(Client(), cast.inspector).get(f"/feedback/problems/{problem.pk}/").status_code
        == 404
    )
    assert (
        sign_in(Client(), cast.warehouse_staff)
        .post(f"/feedback/problems/{problem.pk}/confirm/")
        .status_code
        == 403
    )
    assert (
        sign_in(Client(), cast.agent).post(f"/feedback/problems/{problem.pk}/confirm/").status_code
        == 403
    )
    assert (
        sign_in(Client(), cast.developer)
        .post(f"/feedback/problems/{problem.pk}/confirm/", {"version": problem.version})
        .status_code
        == 302
    )
    problem.refresh_from_db()
    assert problem.state == ProblemState.CONFIRMED
    assert sign_in(Client(), cast.developer).post("/feedback/reports/new/", {}).status_code == 403
    export = sign_in(Client(), cast.supervisor).get("/feedback/?format=xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sign_in(Client(), cast.agent).get("/feedback/?format=xlsx").status_code == 403


def test_the_api_records_a_report_and_moves_the_problem_once(cast, client):
    import json

    from kefu.accounts.services import create_api_token

    def api(user):
        _token, raw = create_api_token(user=user, name="t")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    customer = Customer.objects.create(name="张伟", owner=cast.agent)
    answer = api(cast.agent).post(
        "/api/v1/feedback/reports",
        data=json.dumps(
            {"customer_id": customer.pk, "channel": "phone", "category": "bug", "title": "闪退"}
        ),
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    problem = services.group_report(actor=cast.agent, report_id=answer.json()["id"])
    developer = api(cast.developer)
    listed = developer.get("/api/v1/feedback/problems").json()["items"]
    assert [(p["id"], p["customers_affected"]) for p in listed] == [(problem.pk, 1)]
    body = json.dumps({"move": "fix", "fixed_version": "2.3.1"})
    url = f"/api/v1/feedback/problems/{problem.pk}/moves"
    assert api(cast.agent).post(url, data=body, content_type="application/json").status_code == 403
    moved = developer.post(url, data=body, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["state"] == "fixed"
    again = developer.post(url, data=body, content_type="application/json")
    assert again.status_code == 400
    assert api(cast.inspector).get("/api/v1/feedback/problems").status_code == 403
