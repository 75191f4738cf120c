"""Fixtures of the work-order tests: the cast (desk, supervisor, technicians), a customer, the SMS
templates, an appointment window on a coming working day, and the events delivered."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from kefu.accounts.roles import Role
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.customers.models import Customer
from kefu.dispatch import services
from kefu.sms.models import SmsTemplate
from tests.factories import DepartmentFactory

SH = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 23, 8, 0, tzinfo=SH)  # a working Monday, before the window


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def cast(make_user):
    tech = DepartmentFactory(code="tech", name="技术部")

    class Cast:
        agent = make_user(Role.AGENT)
        supervisor = make_user(Role.SUPERVISOR)
        manager = make_user(Role.MANAGER)
        inspector = make_user(Role.INSPECTOR)
        technician = make_user(Role.DEPARTMENT_STAFF, department=tech, mobile="13900000001")
        other_technician = make_user(Role.DEPARTMENT_STAFF, department=tech, mobile="13900000002")

    return Cast


@pytest.fixture
def customer(db):
    return Customer.objects.create(
        name="黄伟", mobile="+8613800138000", address="南宁市民族大道1号"
    )


@pytest.fixture
def templates(db):
    SmsTemplate.objects.create(
        code="dispatch",
        name="派工通知",
        body="您好，{name}，您的服务单{number}已派工，师傅将于{time}上门。",
    )
    SmsTemplate.objects.create(
        code="dispatch_technician",
        name="派工提醒",
        body="新派工单{number}：{time}，{address}，客户{customer}。",
    )


def coming_window(days_ahead: int = 1, hour: int = 10) -> tuple[dt.datetime, dt.datetime]:
    """A two-hour window on the first working day at least `days_ahead` days from today."""
    calendar = services.field_calendar()
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=SH)
    return start, start + dt.timedelta(hours=2)


@pytest.fixture
def window():
    return (MONDAY.replace(hour=10), MONDAY.replace(hour=12))


@pytest.fixture
def make_order(cast, customer, window):
    def make(**kwargs):
        start, end = kwargs.pop("window", window)
        values = {
            "actor": cast.agent,
            "customer": customer,
            "address": "南宁市民族大道1号",
            "area": "青秀区",
            "problem": "空调不制冷",
            "skills": "空调维修",
            "materials": "冷媒一瓶",
            "appointment_start": start,
            "appointment_end": end,
            "technician_id": cast.technician.pk,
            "now": MONDAY,
        }
        values.update(kwargs)
        return services.create_work_order(**values)

    return make


@pytest.fixture
def events():
    received = []

    def listen(event):
        received.append(event)

    types = [t for name, t in EVENT_TYPES.items() if name.startswith("dispatch.")]
    for t in types:
        subscribe(t, listen, mode=Delivery.INLINE)
    yield received
    for t in types:
        unsubscribe(t, listen)
