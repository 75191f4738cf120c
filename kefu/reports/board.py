"""The live board 实时看板: the queue, the agents, the tickets about to breach and today's counts,
read with a handful of indexed aggregates (the page is refreshed by pushes over /ws/agent/, never by
polling: kefu/static/reports/board.js)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from django.db.models import Count, Min
from django.utils import timezone

from kefu.accounts.models import AgentProfile, Presence
from kefu.conversations.models import Conversation, ConversationState
from kefu.core.errors import StrOrPromise
from kefu.core.querysets import count_up_to
from kefu.customers.models import Customer
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import about_to_breach_q, soonest_due_first
from kefu.tickets.states import TicketType

BREACH_HORIZON = dt.timedelta(hours=1)
# Today's counts stop here ("10000+"), far above a day of a desk of the size (1,000,000
# tickets a year is about 2,700 a day), so that a day of imports cannot make the board, read again
# on every push, count a whole table: bench/reports' customers all carry the load's day, and
# PostgreSQL counted them with a scan of the table (36 ms of the board at 100,000).
TODAY_CAP = 10_000
# The pushes after which the board reads itself again (the events' names, kefu/realtime/subscribers.py).
REFRESH_ON = (
    "accounts.presence_changed",
    "conversations.started",
    "conversations.assigned",
    "conversations.requeued",
    "conversations.closed",
    "reports.board_changed",
)


class PresenceCount(TypedDict):
    value: str  # a Presence
    label: StrOrPromise
    n: int  # active agents in it


class AgentLoad(TypedDict):
    name: str
    presence: str  # a Presence
    presence_label: StrOrPromise
    chats: int  # open chats assigned to the agent
    capacity: int  # the agent's max_concurrent_chats


class BreachingTicket(TypedDict):
    pk: int
    number: str
    subject: str
    resolve_due_at: dt.datetime | None
    stage_due_at: dt.datetime | None
    first_response_due_at: dt.datetime | None


class TodayCounts(TypedDict):
    """Created (closed for `closed`) since local midnight."""

    tickets: int
    complaints: int
    closed: int
    chats: int
    customers: int


class Board(TypedDict):
    now: dt.datetime
    waiting: int  # conversations waiting for an agent
    longest_wait: int  # seconds the oldest of them has waited
    presence: list[PresenceCount]
    agents: list[AgentLoad]  # the 50 busiest agents not offline
    breaching_count: int
    breaching: list[BreachingTicket]  # the 10 due soonest
    today: TodayCounts


def board(*, now: dt.datetime | None = None) -> Board:
    now = now or timezone.now()
    today = timezone.make_aware(dt.datetime.combine(timezone.localtime(now).date(), dt.time()))
    waiting = Conversation.objects.filter(state=ConversationState.WAITING).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    presence = dict(
        AgentProfile.objects.filter(user__is_active=True)
        .values_list("presence")
        .annotate(n=Count("pk"))
        .order_by()
    )
    open_chats = dict(
        Conversation.objects.filter(state=ConversationState.OPEN, assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    agents = list(
        AgentProfile.objects.filter(user__is_active=True)
        .exclude(presence=Presence.OFFLINE)
        .values(
            "user_id", "user__display_name", "user__username", "presence", "max_concurrent_chats"
        )
        .order_by("user__username")[:200]
    )
    load = sorted(
        ({**a, "chats": open_chats.get(a["user_id"], 0)} for a in agents),
        key=lambda a: (-a["chats"], a["user__username"]),
    )[:50]
    day = (today, now)  # today so far
    breaching = Ticket.objects.filter(about_to_breach_q(now=now, horizon=now + BREACH_HORIZON))
    return {
        "now": now,
        "waiting": waiting["n"],
        "longest_wait": int((now - waiting["oldest"]).total_seconds()) if waiting["oldest"] else 0,
        "presence": [
            {"value": value, "label": label, "n": presence.get(value, 0)}
            for value, label in Presence.choices
        ],
        "agents": [
            {
                "name": a["user__display_name"] or a["user__username"],
                "presence": a["presence"],
                "presence_label": Presence(a["presence"]).label,
                "chats": a["chats"],
                "capacity": a["max_concurrent_chats"],
            }
            for a in load
        ],
        # Counted up to core.querysets.COUNT_CAP ("1000+"): a plain COUNT walked every open ticket
        # past its deadline (68,230 at 1,000,000 tickets in bench/reports, 287 ms of the board).
        "breaching_count": count_up_to(breaching),
        "breaching": list(
            soonest_due_first(breaching).values(
                "pk", "number", "subject", "resolve_due_at", "stage_due_at", "first_response_due_at"
            )[:10]
        ),
        "today": {
            "tickets": count_up_to(Ticket.objects.filter(created_at__range=day), TODAY_CAP),
            "complaints": count_up_to(
                Ticket.objects.filter(created_at__range=day, type=TicketType.COMPLAINT), TODAY_CAP
            ),
            "closed": count_up_to(Ticket.objects.filter(closed_at__range=day), TODAY_CAP),
            "chats": count_up_to(Conversation.objects.filter(created_at__range=day), TODAY_CAP),
            "customers": count_up_to(Customer.objects.filter(created_at__range=day), TODAY_CAP),
        },
    }
