"""Demo calls: extensions for the demo agents and about four months of calls (KEFU_DEMO_CALLS, 400 by
default), incoming and outgoing, every outcome, most from known customers and some from unknown
numbers, recorded through the real service in the order they happened. Nobody is notified."""

from __future__ import annotations

import datetime as dt
import os
import random

from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.events import muted
from kefu.customers.models import Customer
from kefu.telephony.models import (
    Call,
    CallDirection,
    CallOutcome,
    CallScript,
    CallSource,
    Extension,
)
from kefu.telephony.services import record_call

# The demo's call scripts (a manager edits them under 设置 → 通话语术): seed 001's 标准语术 for calls
# taken, seed 003's 回访用语 for calls made (打扰您了, the 满意 / 不满意·一般 branches, its closing).
SCRIPTS = {
    CallDirection.INBOUND: """## 问候
您好，{company}客服，工号{job_no}，很高兴为您服务，请问有什么可以帮您？
> 三声之内接听；微笑服务，讲普通话。
## 核实身份
请问您怎么称呼？
为了更好地为您服务，请问您的手机号码（会员卡号）是多少？
请问是{customer}先生／女士吗？
> 与客户资料核对；不要把个人信息念给来电人听。
## 倾听与复述
好的，您反映的是……，我这样理解对吗？
请您稍等，我帮您查询一下。（查询超过30秒：）感谢您的耐心等待。
> 让客户说完；复述诉求并请客户确认。
## 解答
关于您的问题，……（按知识库标准答复解答）
非常抱歉给您带来不便，您反映的问题我已经详细记录，会转交相关部门处理，处理结果我们会及时回访告知您。
> 投诉要形成客诉单；只承诺处理时限允许的事。
## 结束
请问还有其他可以帮您的吗？
感谢您的来电，祝您生活愉快，再见！
> 待客户先挂机，再填写工作记录。""",
    CallDirection.OUTBOUND: """## 开始
您好，我是{company}客服{agent}，请问您是{customer}先生／小姐吗？打扰您了。
> 避免在客户休息时打扰客户；必须保证在三天之内回访，最好与客户在电话中再约一个方便的时间。
## 交流
感谢您在……时间接受了我们……服务项目，请问您对……服务项目满意吗？
[满意] 您对我们的服务有什么建议吗？
[不满意／一般] 能否告诉我您对哪方面不满意吗？我们应改进哪方面的工作？
> 回访时间不宜过长，内容不宜过多；完整记录客户的回答。
## 结束
[满意] 感谢您的答复，您如果需要什么帮助，可随时跟我们取得联系，祝您生活愉快，再见！
[不满意／一般] 非常谢谢您的反应，这一点我们的确做得不够，我们很快就会有改进，希望您监督，祝您生活愉快，再见！""",
}
DEFAULT_COUNT = 400
HISTORY_DAYS = 365  # a year, as the tickets (the reports read a year)
SUBJECTS = {
    CallDirection.INBOUND: [
        "咨询订单物流",
        "咨询退换货政策",
        "投诉快递延误",
        "发票开具",
        "会员积分查询",
        "产品使用咨询",
        "预约上门安装",
        "维修进度查询",
        "价格保护申请",
        "修改收货地址",
    ],
    CallDirection.OUTBOUND: [
        "客诉处理结果回访",
        "满意度回访",
        "节日问候",
        "派工确认",
        "续卡提醒",
        "资料核实",
    ],
}
OUTCOMES = [
    (CallOutcome.ANSWERED, 70),
    (CallOutcome.MISSED, 12),
    (CallOutcome.BUSY, 5),
    (CallOutcome.VOICEMAIL, 5),
    (CallOutcome.CALLBACK_REQUESTED, 8),
]


def build(
    *, password: str, count: int | None = None, seed: int = 2026, now: dt.datetime | None = None
) -> None:
    """Idempotent: does nothing when calls exist (the scripts are made when missing)."""
    for direction, text in SCRIPTS.items():
        CallScript.objects.get_or_create(direction=direction, defaults={"text": text})
    if Call.objects.exists():
        return
    count = (
        count if count is not None else int(os.environ.get("KEFU_DEMO_CALLS", str(DEFAULT_COUNT)))
    )
    rng = random.Random(seed)
    now = now or timezone.now()
    agents = list(
        User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True).order_by("id")
    )
    if not agents:
        return
    for i, agent in enumerate(agents):
        Extension.objects.get_or_create(user=agent, defaults={"number": str(8001 + i)})
    customers = list(
        Customer.objects.filter(merged_into__isnull=True).exclude(mobile="").order_by("id")[:2000]
    )
    starts = sorted(
        now - dt.timedelta(seconds=rng.randint(3600, HISTORY_DAYS * 86400)) for _ in range(count)
    )
    with muted():  # each call commits on its own: see kefu/tickets/demo.py's build
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
            talk = (
                rng.randint(40, 900)
                if outcome in (CallOutcome.ANSWERED, CallOutcome.CALLBACK_REQUESTED)
                else 0
            )
            record_call(
                actor=agent,
                direction=direction,
                number=number,
                outcome=outcome,
                started_at=started,
                duration_seconds=talk,  # the customer is found by the number
                subject=rng.choice(SUBJECTS[direction]) if talk else "",
                notes="已按标准语术解答，客户表示满意。"
                if outcome == CallOutcome.ANSWERED and rng.random() < 0.5
                else "",
                source=CallSource.MANUAL if rng.random() < 0.5 else CallSource.WEBHOOK,
            )


def _working_hours(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    local = timezone.localtime(moment)
    return local.replace(
        hour=rng.randint(9, 20), minute=rng.randint(0, 59), second=rng.randint(0, 59)
    )
