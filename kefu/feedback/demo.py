"""Demo feedback: the SMS template that tells reporters, and a few bugs reported by several
customers, grouped into problems (one confirmed, one fixed). Nobody is told (events muted)."""

from __future__ import annotations

import random

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.events import muted
from kefu.customers.models import Customer
from kefu.feedback import services
from kefu.feedback.models import Problem
from kefu.sms.models import SmsTemplate

BUGS = [
    ("登录时闪退", "bug", "high", "打开App，输入手机号和验证码，点击登录后闪退"),
    ("订单页面加载很慢", "performance", "normal", "进入“我的订单”，等待超过10秒"),
    ("优惠券金额显示错误", "content", "high", "结算页优惠券显示满100减20，实际只减10"),
    ("希望支持夜间模式", "feature", "low", ""),
]
DEVICES = [
    "华为 Mate 60 / Android 14",
    "iPhone 15 / iOS 17.5",
    "小米 14 / Android 14",
    "OPPO Reno11",
]


def build(*, password: str, seed: int = 2026) -> None:
    SmsTemplate.objects.get_or_create(
        code="feedback_update",
        defaults={
            "name": "反馈处理结果",
            "provider_template_id": "SMS_000006",
            "body": "{name}您好，您反馈的“{title}”：{result}。感谢您的支持！",
        },
    )
    if Problem.objects.exists():
        return
    agent = User.objects.filter(role=Role.AGENT, is_active=True).order_by("id").first()
    developer = User.objects.filter(
        role=Role.DEPARTMENT_STAFF, department__code="tech", is_active=True
    ).first()
    customers = list(Customer.objects.order_by("id")[:60])
    if agent is None or developer is None or len(customers) < 12:
        return
    rng = random.Random(seed)
    with muted():
        for n, (title, category, severity, steps) in enumerate(BUGS):
            problem: Problem | None = None
            for customer in rng.sample(customers, 3 + n):
                report = services.submit_report(
                    actor=agent,
                    customer=customer,
                    channel=rng.choice(["ticket", "phone", "chat"]) if n else "ticket",
                    category=category,
                    severity=severity,
                    title=title,
                    steps=steps,
                    device=rng.choice(DEVICES),
                    app_version=rng.choice(["2.3.0", "2.2.9"]),
                )
                if report.channel == "chat":
                    report.channel = "phone"  # no chat to point at in the demo
                    report.save(update_fields=["channel"])
                problem = services.group_report(
                    actor=agent, report_id=report.pk, problem_id=problem.pk if problem else None
                )
            if problem is None:
                continue
            if n == 0:
                services.change_problem_state(
                    actor=developer, problem_id=problem.pk, move="fix", fixed_version="2.3.1"
                )
            elif n == 2:
                services.change_problem_state(
                    actor=developer, problem_id=problem.pk, move="confirm"
                )
