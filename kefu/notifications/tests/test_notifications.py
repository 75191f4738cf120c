"""Notifications for tickets: the right people are told, in the app and by e-mail, and can open them."""

import pytest
from django.core import mail

from kefu.accounts.roles import Role
from kefu.notifications.models import Notification
from kefu.notifications.services import notify
from kefu.tickets.models import RoutingRule, TicketCategory
from kefu.tickets.services import loop
from kefu.tickets.services.tickets import assign_ticket, create_ticket
from kefu.tickets.states import TicketType
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def titles(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True)
    )


@pytest.fixture
def cast(make_user):
    tech = DepartmentFactory(code="tech", name="技术部")
    category = TicketCategory.objects.create(name="产品质量")
    RoutingRule.objects.create(category=category, department=tech)

    class Cast:
        agent = make_user(Role.AGENT, email="agent@example.cn")
        supervisor = make_user(Role.SUPERVISOR)
        manager = make_user(Role.MANAGER)
        staff = make_user(Role.DEPARTMENT_STAFF, department=tech)
        other_staff = make_user(
            Role.DEPARTMENT_STAFF, department=DepartmentFactory(code="wh", name="仓库")
        )

    Cast.category = category
    return Cast


def test_the_assignee_is_told_in_the_app_and_by_email(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = create_ticket(
            actor=cast.supervisor, type=TicketType.CONSULTATION, subject="<b>发票</b>怎么开？"
        )
        assign_ticket(
            actor=cast.supervisor,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            assignee_id=cast.agent.pk,
        )
    assert titles(cast.agent) == [f"工单 {ticket.number} 已分配给您：<b>发票</b>怎么开？"]
    assert titles(cast.supervisor) == []  # never the person who did it
    assert [m.to for m in mail.outbox] == [["agent@example.cn"]]
    assert f"/tickets/{ticket.pk}/" in mail.outbox[0].body


def test_routing_tells_the_department_and_a_plan_tells_the_approvers(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = create_ticket(
            actor=cast.agent,
            type=TicketType.COMPLAINT,
            subject="屏幕坏了",
            content="屏幕有亮点",
            category_id=cast.category.pk,
            complainant="张伟",
        )
        ticket = loop.confirm_restatement(
            actor=cast.agent,
            ticket_id=ticket.pk,
            expected_version=ticket.version,
            restatement="屏幕坏了，已复述",
        )
        ticket = loop.judge_complaint_valid(
            actor=cast.agent, ticket_id=ticket.pk, expected_version=ticket.version
        )
        ticket = loop.record_cause(
            actor=cast.staff, ticket_id=ticket.pk, expected_version=ticket.version, cause="质检漏检"
        )
        loop.propose_resolution_plan(
            actor=cast.staff, ticket_id=ticket.pk, expected_version=ticket.version, plan="换屏"
        )
    assert titles(cast.staff) == [f"{ticket.number} 由您代表本部门处理：屏幕坏了"]  # the handler
    assert titles(cast.other_staff) == []
    expected = [f"{ticket.number} 的处理方案等待您审批"]
    assert titles(cast.supervisor) == expected and titles(cast.manager) == expected
    assert titles(cast.agent) == []


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(cast, client_for):
    client, user = client_for(Role.AGENT)
    [mine] = notify(
        recipient_ids=[user.pk],
        kind="tickets.assigned",
        title="工单 TS20261123-0001 已分配给您",
        link="/tickets/1/",
    )
    [theirs] = notify(
        recipient_ids=[cast.agent.pk], kind="tickets.assigned", title="别人的", link="/tickets/2/"
    )
    page = client.get("/notifications/").content.decode()
    assert "工单 TS20261123-0001 已分配给您" in page and "别人的" not in page
    assert 'data-testid="unread-count" id="unread-count">1<' in page
    response = client.post(f"/notifications/{mine.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/tickets/1/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(f"/notifications/{theirs.pk}/open/")["Location"] == "/notifications/"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_that_leaves_the_site_is_not_followed(client_for):
    client, user = client_for(Role.AGENT)
    [n] = notify(recipient_ids=[user.pk], kind="x", title="t", link="//evil.example/")
    assert client.post(f"/notifications/{n.pk}/open/")["Location"] == "/"
