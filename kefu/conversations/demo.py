"""Demo chats: the web chat inbox (a shop's pre-sales chat) and two weeks of conversations
(KEFU_DEMO_CHATS, 240 by default), served by the demo agents through the real services on a made-up
clock, so that the workspace 会话, the customer pages and 会话统计 have something true to show: first
responses, every response, handling times, ratings and the pre-sales steps ticked, as the services
record them. The last few chats are left open or waiting. Nobody is notified (events muted).

The inbox lets the widget run on pages of the address the demo server answers at (`kefu serve`
passes its --host and --port to allow_served_address, on every start)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
from collections.abc import Iterator
from unittest import mock

from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.conversations.models import (
    ChannelKind,
    Conversation,
    Inbox,
    PresalesStep,
    SenderKind,
    Visitor,
)
from kefu.conversations.services.lifecycle import (
    close_conversation,
    rate_conversation,
    start_conversation,
)
from kefu.conversations.services.messages import post_message, send_agent_message
from kefu.conversations.services.presales import set_presales_step
from kefu.conversations.services.routing import give_conversation
from kefu.core.events import muted
from kefu.customers.models import Customer

DEFAULT_COUNT = 240
HISTORY_DAYS = 30  # most chats in the last month: the quality checks, reviews and KPIs span it
YEAR_SHARE = 0.25  # the others over the year before it, so the reports have a year of chats
LEFT_OPEN = 6
LEFT_WAITING = 3

# (visitor, agent) lines after the seeds' service flow (002: 欢迎语, answers, 结束语).
DIALOGUES = [
    [
        ("在吗？我的订单什么时候发货", "亲，在的，欢迎光临！请您提供一下订单号，我帮您查询"),
        ("订单号 202611230815", "查到了亲，您的订单今天16点前会发出，发货后会有短信通知"),
        ("好的谢谢", "不客气亲，感谢您的支持，祝您生活愉快！"),
    ],
    [
        ("这个保温杯能装开水吗", "亲，可以的哦，内胆是316不锈钢，开水可以直接装"),
        ("保温多久", "亲，12小时保温效果在60度以上，24小时保冷"),
        ("那我拍了", "好的亲，拍下后我们会尽快为您安排发货，记得收藏店铺哦"),
    ],
    [
        ("收到的东西坏了", "非常抱歉给您带来不好的体验，麻烦亲拍一下照片发给我们看看"),
        ("[图片] 杯盖裂了", "看到了亲，我们这边给您补发一个新的杯盖，您看可以吗？"),
        ("可以", "好的，已经为您登记补发，预计明天发出，再次向您致歉"),
    ],
    [
        ("可以开发票吗", "亲，可以的，请提供一下发票抬头和税号"),
        ("抬头是上海某某科技有限公司", "好的亲，电子发票会在确认收货后24小时内发送到您的邮箱"),
    ],
    [
        ("能便宜点吗", "亲，现在已经是活动价了哦，满299还可以再减30"),
        ("那运费呢", "亲，全国大部分地区包邮，偏远地区需要补运费"),
    ],
    [
        ("退货怎么退", "亲，在订单页面点击申请退货，选择原因后按提示寄回就可以了"),
        ("运费谁出", "亲，质量问题运费由我们承担，其他原因需要您承担哦"),
        ("知道了", "好的亲，还有其他可以帮您的吗？"),
    ],
]
NAMES = [
    "王女士",
    "李先生",
    "张小姐",
    "刘先生",
    "陈女士",
    "杨先生",
    "赵女士",
    "黄先生",
    "周小姐",
    "吴先生",
]


class _Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def wait(self, rng: random.Random, low: int, high: int) -> None:
        self.now += dt.timedelta(seconds=rng.randint(low, high))


@contextlib.contextmanager
def _clock(start: dt.datetime) -> Iterator[_Clock]:
    """The services read the time from django.utils.timezone.now; here it is a made-up past."""
    clock = _Clock(start)
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


DEMO_INBOX_NAME = "官网在线客服"
DEFAULT_ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]
# How often an agent did each step of the pre-sales flow (seed 002) in a demo chat.
STEP_SHARES = {
    PresalesStep.WELCOME: 0.95,
    PresalesStep.PROMOTION: 0.6,
    PresalesStep.PRODUCT: 0.8,
    PresalesStep.ORDER: 0.5,
    PresalesStep.FAVOURITE: 0.35,
}


def demo_inbox() -> Inbox:
    inbox, _ = Inbox.objects.get_or_create(
        name=DEMO_INBOX_NAME,
        kind=ChannelKind.WEB,
        defaults={"allowed_origins": list(DEFAULT_ORIGINS), "is_presales": True},
    )
    return inbox


def served_origins(host: str, port: int) -> list[str]:
    """The origins of pages served by `kefu serve --host host --port port`: the address as given,
    and localhost / 127.0.0.1 for a server on this machine or on every interface."""
    hosts = [host]
    if host in {"0.0.0.0", "::", "127.0.0.1", "localhost", "::1"}:  # noqa: S104
        hosts = ["localhost", "127.0.0.1"]
    return [f"http://{'[' + h + ']' if ':' in h else h}:{port}" for h in hosts]


def allow_served_address(*, host: str, port: int) -> list[str]:
    """Let the demo inbox's widget run on pages of the address the server was started on (a demo
    started with --port 8301 serves its test pages from :8301). Only the demo inbox, only when it
    exists; returns the origins added."""
    inbox = Inbox.objects.filter(name=DEMO_INBOX_NAME, kind=ChannelKind.WEB).first()
    if inbox is None:
        return []
    added = [o for o in served_origins(host, port) if not inbox.allows_origin(o)]
    if added:
        inbox.allowed_origins = [*inbox.allowed_origins, *added]
        inbox.save(update_fields=["allowed_origins"])
    return added


def build(
    *, password: str, count: int | None = None, seed: int = 2026, now: dt.datetime | None = None
) -> None:
    """Idempotent: does nothing when conversations exist."""
    if Conversation.objects.exists():
        return
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    if not agents:
        return
    count = (
        count if count is not None else int(os.environ.get("KEFU_DEMO_CHATS", str(DEFAULT_COUNT)))
    )
    rng = random.Random(seed)
    now = now or timezone.now()
    inbox = demo_inbox()
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("id")[:500])
    starts = sorted(
        now
        - dt.timedelta(
            seconds=rng.randint(HISTORY_DAYS * 86400, 365 * 86400)
            if rng.random() < YEAR_SHARE
            else rng.randint(600, HISTORY_DAYS * 86400)
        )
        for _ in range(count)
    )
    with muted():
        for index, started in enumerate(starts):
            recent = index >= count - LEFT_OPEN - LEFT_WAITING
            started = (
                now - dt.timedelta(minutes=15 * (count - index))
                if recent
                else _working_hours(started, rng, now)
            )
            _chat(
                inbox,
                rng,
                started,
                agents,
                customers,
                waiting=index >= count - LEFT_WAITING,
                stays_open=recent,
            )


def _chat(inbox, rng, started, agents, customers, *, waiting: bool, stays_open: bool) -> None:
    customer = rng.choice(customers) if customers and rng.random() < 0.6 else None
    with _clock(started) as clock:
        visitor = Visitor.objects.create(
            inbox=inbox, customer=customer, name=customer.name if customer else rng.choice(NAMES)
        )
        conversation = start_conversation(visitor=visitor)
        dialogue = rng.choice(DIALOGUES)
        post_message(conversation=conversation, sender=SenderKind.VISITOR, body=dialogue[0][0])
        if waiting:
            return
        agent = rng.choice(agents)
        clock.wait(rng, 3, 40)
        give_conversation(conversation=conversation, agent=agent, by=None)  # routing's choice
        for turn, (question, answer) in enumerate(dialogue):
            if turn:
                clock.wait(rng, 20, 180)
                post_message(conversation=conversation, sender=SenderKind.VISITOR, body=question)
            clock.wait(rng, 5, 90)
            send_agent_message(actor=agent, conversation=conversation, body=answer, client_key=None)
        if inbox.is_presales:
            for step, share in STEP_SHARES.items():
                if rng.random() < share:
                    set_presales_step(actor=agent, conversation=conversation, step=step, done=True)
        if stays_open:
            return
        clock.wait(rng, 30, 600)
        close_conversation(conversation=conversation, actor=agent)
        if rng.random() < 0.6:
            rate_conversation(
                visitor=visitor,
                conversation=conversation,
                rating=rng.choices([5, 4, 3, 2, 1], weights=[60, 25, 8, 4, 3])[0],
            )


def _working_hours(moment: dt.datetime, rng: random.Random, now: dt.datetime) -> dt.datetime:
    """Chats come between 9:00 and 22:00 Shanghai time (online shops answer into the evening), and
    are over three hours before `now` (the recent ones are made apart)."""
    local = timezone.localtime(moment)
    if not 9 <= local.hour < 22:
        local = local.replace(hour=rng.randint(9, 21), minute=rng.randint(0, 59))
    while local > now - dt.timedelta(hours=3):
        local -= dt.timedelta(days=1)
    return local
