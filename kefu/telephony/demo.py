"""Demo calls: extensions for the demo agents and about four months of calls (KEFU_DEMO_CALLS, 400 by
default), incoming and outgoing, every outcome, most from known customers and some from unknown
numbers, recorded through the real service in the order they happened. Nobody is notified."""

from __future__ import annotations

import datetime as dt
import os
import random

from django.db import transaction
from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.events import muted
from kefu.customers.models import Customer
from kefu.telephony.models import Call, CallDirection, CallOutcome, CallSource, Extension
from kefu.telephony.services import record_call

DEFAULT_COUNT = 400
HISTORY_DAYS = 120
SUBJECTS = {
    CallDirection.INBOUND: ["咨询订单物流", "咨询退换货政策", "投诉快递延误", "发票开具", "会员积分查询", "产品使用咨询",
                            "预约上门安装", "维修进度查询", "价格保护申请", "修改收货地址"],
    CallDirection.OUTBOUND: ["客诉处理结果回访", "满意度回访", "节日问候", "派工确认", "续卡提醒", "资料核实"],
}
OUTCOMES = [(CallOutcome.ANSWERED, 70), (CallOutcome.MISSED, 12), (CallOutcome.BUSY, 5), (CallOutcome.VOICEMAIL, 5),
            (CallOutcome.CALLBACK_REQUESTED, 8)]


def build(*, password: str, count: int | None = None, seed: int = 2026, now: dt.datetime | None = None) -> None:
    """Idempotent: does nothing when calls exist."""
    if Call.objects.exists():
        return
    count = count if count is not None else int(os.environ.get("KEFU_DEMO_CALLS", str(DEFAULT_COUNT)))
    rng = random.Random(seed)
    now = now or timezone.now()
    agents = list(User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True).order_by("id"))
    if not agents:
        return
    for i, agent in enumerate(agents):
        Extension.objects.get_or_create(user=agent, defaults={"number": str(8001 + i)})
    customers = list(Customer.objects.filter(merged_into__isnull=True).exclude(mobile="").order_by("id")[:2000])
    starts = sorted(now - dt.timedelta(seconds=rng.randint(3600, HISTORY_DAYS * 86400)) for _ in range(count))
    with transaction.atomic(), muted():
        for started in starts:
            started = _working_hours(started, rng)
            if started > now:
                continue
            direction = CallDirection.OUTBOUND if rng.random() < 0.3 else CallDirection.INBOUND
            outcome = rng.choices([o for o, _w in OUTCOMES], weights=[w for _o, w in OUTCOMES])[0]
            known = customers and rng.random() < 0.85
            customer = rng.choice(customers) if known else None
            number = customer.mobile if customer else f"+86139{rng.randint(10_000_000, 99_999_999)}"
            agent = rng.choice(agents)
            talk = rng.randint(40, 900) if outcome in (CallOutcome.ANSWERED, CallOutcome.CALLBACK_REQUESTED) else 0
            record_call(
                actor=agent, direction=direction, number=number, outcome=outcome, started_at=started,
                duration_seconds=talk,  # the customer is found by the number
                subject=rng.choice(SUBJECTS[direction]) if talk else "",
                notes="已按标准语术解答，客户表示满意。" if outcome == CallOutcome.ANSWERED and rng.random() < 0.5 else "",
                source=CallSource.MANUAL if rng.random() < 0.5 else CallSource.WEBHOOK,
            )


def _working_hours(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=rng.randint(9, 20), minute=rng.randint(0, 59), second=rng.randint(0, 59))
