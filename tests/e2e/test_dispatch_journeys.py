"""A work order in the browser (issue 16.7): an agent dispatches a technician from a ticket; the
technician works it on a phone-sized page (375 px) — accept, on the way, arrived, a photo, done
with the customer's confirmation; the return visit is made automatically in 回访, where the desk
records it, and the order shows it."""

import re

import pytest

from kefu.accounts.roles import Role
from kefu.core.models import TimelineEntry
from kefu.customers.models import Customer
from kefu.dispatch.models import WorkOrder, WorkOrderPhoto, WorkOrderState
from kefu.dispatch.tests.conftest import coming_window
from kefu.dispatch.tests.test_services import PNG
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from kefu.visits.models import ReturnVisit
from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dispatch_from_a_ticket_to_completion_on_a_phone_then_the_return_visit(
    browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    tech = DepartmentFactory(code="tech", name="技术部")
    agent = UserFactory(username="zuoxi1", display_name="李娜", role=Role.AGENT)
    UserFactory(
        username="tech1", display_name="赵师傅", role=Role.DEPARTMENT_STAFF, department=tech
    )
    customer = Customer.objects.create(
        name="黄伟", mobile="+8613800138000", address="南宁市民族大道1号"
    )
    ticket = create_ticket(
        actor=agent,
        type=TicketType.DISPATCH,
        subject="空调不制冷",
        content="外机异响",
        customer_id=customer.pk,
    )

    def person(username, width, height):
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username)
        page.wait_for_url(re.compile(r"/$"))
        return page

    desk = person("zuoxi1", 1280, 900)
    desk.goto(f"/tickets/{ticket.pk}/")
    desk.get_by_test_id("dispatch-from-ticket").click()
    desk.wait_for_url(re.compile(r"/dispatch/new/"))
    start, _end = coming_window()
    desk.get_by_label("预约日期").fill(start.date().isoformat())
    desk.get_by_label("开始时间").fill("10:00")
    desk.get_by_label("结束时间").fill("12:00")
    desk.get_by_label("区域").fill("青秀区")
    desk.get_by_label("技师").select_option(label="赵师傅（技术部）")
    desk.get_by_role("button", name="创建派工单").click()
    desk.wait_for_url(re.compile(r"/dispatch/\d+/$"))
    order = WorkOrder.objects.get()
    assert order.ticket_id == ticket.pk and order.address == "南宁市民族大道1号"
    assert desk.get_by_test_id("order-state").inner_text() == "待接单"

    phone = person("tech1", 375, 740)
    phone.goto("/dispatch/mine/")
    phone.get_by_test_id(f"my-order-{order.pk}").click()
    phone.wait_for_url(re.compile(rf"/dispatch/{order.pk}/m/$"))
    for step, state in (("accept", "已接单"), ("set_off", "已出发"), ("arrive", "已到达")):
        phone.get_by_test_id(f"step-{step}").click()
        phone.wait_for_load_state()
        assert phone.get_by_test_id("order-state").inner_text() == state
        # Nothing wider than the phone: no sideways scrolling.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_label("现场照片").set_input_files(
        {"name": "site.png", "mimeType": "image/png", "buffer": PNG}
    )
    phone.get_by_role("button", name="上传照片").click()
    phone.wait_for_load_state()
    phone.get_by_test_id("photos").wait_for()
    phone.get_by_label("执行情况").fill("更换启动电容，试机制冷正常")
    phone.get_by_label("客户确认人（姓名）").fill("黄伟")
    screenshot(phone, "dispatch-phone-complete")
    phone.get_by_test_id("step-complete").click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("order-state").inner_text() == "已完成"
    order.refresh_from_db()
    assert order.state == WorkOrderState.DONE and WorkOrderPhoto.objects.count() == 1

    # The return visit was made automatically, a task in 回访 due within three working days.
    visit = ReturnVisit.objects.get(work_order=order)
    assert visit.assignee.username == "zuoxi1" and visit.due_at == order.visit_due_at
    desk.goto("/dispatch/?visit=due")
    desk.get_by_role("link", name=order.number).click()
    assert desk.get_by_test_id("visit-due").inner_text()
    desk.get_by_test_id("handed-visit-link").click()
    desk.wait_for_url(re.compile(rf"/visits/{visit.pk}/$"))
    desk.get_by_label("已联系上", exact=True).check()
    desk.get_by_label("满意", exact=True).check()
    desk.get_by_label("对服务的意见（需改进之处）").fill("师傅准时，空调已正常")
    desk.get_by_test_id("save-record").click()
    assert desk.get_by_test_id("record-satisfaction").inner_text() == "满意"
    desk.goto(f"/dispatch/{order.pk}/")
    assert desk.get_by_test_id("order-state").inner_text() == "已回访"
    assert "师傅准时" in desk.get_by_test_id("visit-outcome").inner_text()
    kinds = set(
        TimelineEntry.objects.filter(customer_id=customer.pk).values_list("kind", flat=True)
    )
    assert {"dispatch.created", "dispatch.complete", "dispatch.visited"} <= kinds
