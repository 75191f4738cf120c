"""Demo work orders 派工单: today's board (some on the way, one late), a few done and waiting for
their return visit, and the technicians' SMS template. Built through the services with `now` in
the past where the work happened; nobody is told (events muted)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.events import muted
from kefu.customers.models import Customer
from kefu.dispatch import services
from kefu.dispatch.models import WorkOrder
from kefu.sms.models import SmsTemplate

AREAS = ["青秀区", "西乡塘区", "兴宁区", "江南区", "良庆区"]
PROBLEMS = [
    ("空调不制冷，外机有异响", "空调维修", "冷媒 R32 一瓶"),
    ("热水器打不着火，显示 E1", "热水器维修", "点火针"),
    ("新购洗衣机上门安装", "家电安装", "进水管、排水管"),
    ("宽带光猫红灯，无法上网", "网络", "光猫一台"),
    ("厨房插座跳闸", "电工", "漏电保护开关"),
    ("冰箱冷藏室结冰", "冰箱维修", ""),
]
STREETS = ["民族大道", "东葛路", "友爱南路", "星光大道", "五象大道", "朝阳路"]


def build(*, password: str, seed: int = 2026) -> None:
    SmsTemplate.objects.get_or_create(
        code="dispatch_technician",
        defaults={
            "name": "派工提醒（技师）",
            "provider_template_id": "SMS_000005",
            "body": "新派工单{number}：{time}，{address}，客户{customer}。请及时接单。",
        },
    )
    if WorkOrder.objects.exists():
        return
    technicians = list(
        User.objects.filter(role=Role.DEPARTMENT_STAFF, username__startswith="tech").order_by(
            "username"
        )
    )
    desk = User.objects.filter(role=Role.AGENT, is_active=True).order_by("id").first()
    customers = list(Customer.objects.order_by("id")[:40])
    if not technicians or desk is None or not customers:
        return
    rng = random.Random(seed)
    calendar = services.field_calendar()
    now = timezone.now()
    # The day to show: today if it is a working day, else the next one.
    day = timezone.localdate()
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    tz = timezone.get_current_timezone()

    def window(on: dt.date, hour: int) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(on, dt.time(hour, 0), tzinfo=tz)
        return start, start + dt.timedelta(hours=2)

    def make(on: dt.date, hour: int, created: dt.datetime) -> WorkOrder:
        problem, skills, materials = rng.choice(PROBLEMS)
        customer = rng.choice(customers)
        start, end = window(on, hour)
        return services.create_work_order(
            actor=desk,
            customer=customer,
            address=customer.address or f"南宁市{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            area=rng.choice(AREAS),
            problem=problem,
            skills=skills,
            materials=materials,
            appointment_start=start,
            appointment_end=end,
            technician_id=rng.choice(technicians).pk,
            now=created,
        )

    with muted():
        # Done in the past working days, some visited, some still to visit.
        past = day - dt.timedelta(days=1)
        for n in range(8):
            while not calendar.is_working_day(past):
                past -= dt.timedelta(days=1)
            hour = rng.choice([9, 11, 14, 16])
            order = make(past, hour, dt.datetime.combine(past, dt.time(8, 0), tzinfo=tz))
            start = order.appointment_start
            tech = order.technician
            for step, minutes in (
                ("accept", -50),
                ("set_off", -30),
                ("arrive", 10),
                ("complete", 80),
            ):
                services.report_progress(
                    actor=tech,
                    work_order_id=order.pk,
                    step=step,
                    note="已更换配件，试机正常" if step == "complete" else "",
                    materials_used=order.materials,
                    confirmed_by=order.customer.name if step == "complete" else "",
                    now=start + dt.timedelta(minutes=minutes),
                )
            if n % 3 == 0:
                services.record_return_visit(
                    actor=desk,
                    work_order_id=order.pk,
                    outcome="客户表示师傅准时、处理到位",
                    satisfaction=rng.choice([4, 5, 5]),
                    now=start + dt.timedelta(days=1),
                )
            past -= dt.timedelta(days=1)
        # Today's board.
        morning = dt.datetime.combine(day, dt.time(7, 30), tzinfo=tz)
        for hour in (8, 9, 10, 13, 14, 15, 16, 17):
            order = make(day, hour, morning)
            start = order.appointment_start
            if start + dt.timedelta(hours=1) < now:
                services.report_progress(
                    actor=order.technician,
                    work_order_id=order.pk,
                    step="accept",
                    now=start - dt.timedelta(minutes=40),
                )
                if hour % 2 == 0:
                    services.report_progress(
                        actor=order.technician,
                        work_order_id=order.pk,
                        step="set_off",
                        now=start - dt.timedelta(minutes=20),
                    )
