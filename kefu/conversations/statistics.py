"""会话统计: the chat facts per agent and day, for supervisors' reports and quality checks.

For each local day (Asia/Shanghai) and agent: the chats given to the agent that day, how many were
answered (响应度), the average first response (from the visitor's first message to the first answer),
the average of every response (each agent answer after the visitor waited: Message.response_seconds),
the average handling time (assigned to closed), messages per chat and the average rating; the
satisfaction of every channel on the one 1–5 scale (kefu.core.satisfaction: chat ratings and the
complaints' return visits added up, so a month's figure per agent is one number); and for pre-sales
chats, the share with each step of the pre-sales flow done (PresalesTick). Grouped in the
database: four queries for any period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.db.models import Count, Q, Sum
from django.utils import timezone

from kefu.conversations.models import Conversation, Message, PresalesStep, PresalesTick, SenderKind
from kefu.core.sql_time import LocalDate

MAX_DAYS = 92


@dataclass
class AgentDay:
    day: dt.date
    agent_id: int
    chats: int = 0
    answered: int = 0
    messages: int = 0
    first_response_total: float = 0.0  # seconds, over the answered chats
    responses: int = 0
    response_total: float = 0.0  # seconds, over the responses
    closed: int = 0
    handling_total: float = 0.0  # seconds, over the closed chats
    rated: int = 0  # chats with a rating
    rating_total: int = 0
    visits: int = 0  # complaints' return visits with a satisfaction
    visit_total: int = 0
    presales_chats: int = 0
    steps_done: dict[str, int] = field(
        default_factory=dict
    )  # step → pre-sales chats with it ticked

    # Sums and counts, not averages, so that a period's row is the sum of its days' rows
    # (totals_of) and every average is its sum over its count, as SQL's AVG is.

    @property
    def first_response_seconds(self) -> float | None:
        return _per(self.first_response_total, self.answered)

    @property
    def response_seconds(self) -> float | None:
        return _per(self.response_total, self.responses)

    @property
    def handling_seconds(self) -> float | None:
        return _per(self.handling_total, self.closed)

    @property
    def rating(self) -> float | None:
        return _per(self.rating_total, self.rated)

    @property
    def response_rate(self) -> float | None:
        """Share of the day's chats the agent answered (旺旺响应度), 0–1."""
        return _per(self.answered, self.chats)

    @property
    def messages_per_chat(self) -> float | None:
        return _per(self.messages, self.chats)

    @property
    def satisfaction_answers(self) -> int:
        return self.rated + self.visits

    @property
    def satisfaction(self) -> float | None:
        """Average on the 1–5 scale over chat ratings and return visits together."""
        answers = self.satisfaction_answers
        return (self.rating_total + self.visit_total) / answers if answers else None

    def step_share(self, step: str) -> float | None:
        """Share (0–1) of the agent's pre-sales chats with `step` ticked."""
        if not self.presales_chats:
            return None
        return self.steps_done.get(step, 0) / self.presales_chats

    @property
    def step_shares(self) -> list[float | None]:
        return [self.step_share(step) for step in PresalesStep.values]


def _per(total: float, count: int) -> float | None:
    """An average (or a share): the total over its count, none of nothing."""
    return total / count if count else None


def _seconds(value) -> float:
    """A sum of durations: a timedelta, or microseconds (SQLite's integer), or nothing (0)."""
    if value is None:
        return 0.0
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value) / 1_000_000


def agent_days(*, since: dt.date, until: dt.date) -> list[AgentDay]:
    """One row per agent and local day in [since, until] (both included) with at least one chat or
    one response; newest day first, then by agent id."""
    rows = _facts(since=since, until=until, by_day=True)
    return sorted(rows.values(), key=lambda d: (-d.day.toordinal(), d.agent_id))


def agent_totals(*, since: dt.date, until: dt.date) -> list[AgentDay]:
    """The same facts over the whole period, one row per agent (`day` is `since`), most chats first."""
    return _by_chats(_facts(since=since, until=until, by_day=False).values())


def totals_of(days: list[AgentDay], *, since: dt.date) -> list[AgentDay]:
    """agent_totals() from agent_days() of the same period, without reading the records again (a
    page that shows both: the 92-day chat statistics read a quarter's chats once, not twice)."""
    totals: dict[int, AgentDay] = {}
    for d in days:
        total = totals.setdefault(d.agent_id, AgentDay(day=since, agent_id=d.agent_id))
        for name in SUMMED:
            setattr(total, name, getattr(total, name) + getattr(d, name))
        for step, n in d.steps_done.items():
            total.steps_done[step] = total.steps_done.get(step, 0) + n
    return _by_chats(totals.values())


def _by_chats(rows: Iterable[AgentDay]) -> list[AgentDay]:
    return sorted(rows, key=lambda d: (-d.chats, d.agent_id))


SUMMED = tuple(f.name for f in fields(AgentDay) if f.name not in ("day", "agent_id", "steps_done"))


def _facts(*, since: dt.date, until: dt.date, by_day: bool) -> dict[tuple, AgentDay]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(since, dt.time()), tz)
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()), tz)
    rows: dict[tuple, AgentDay] = {}

    def grouped(queryset, at: str, agent: str, *more: str):
        if by_day:
            return queryset.annotate(day=LocalDate(at, tzinfo=tz)).values("day", agent, *more)
        return queryset.values(agent, *more)

    def row(r, agent: str) -> AgentDay:
        day = r["day"] if by_day else since
        return rows.setdefault((day, r[agent]), AgentDay(day=day, agent_id=r[agent]))

    chats = (
        grouped(
            Conversation.objects.filter(
                assigned_at__gte=start, assigned_at__lt=end, assignee__isnull=False
            ),
            "assigned_at",
            "assignee_id",
        )
        .annotate(
            chats=Count("id"),
            answered=Count("id", filter=Q(first_response_at__isnull=False)),
            messages=Sum("last_seq"),
            # The durations as the database keeps them (generated columns, NULL where unknown).
            first_response=Sum("first_response_time"),
            closed=Count("id", filter=Q(closed_at__isnull=False)),
            handling=Sum("handling_time"),
            rated=Count("id", filter=Q(rating__isnull=False)),
            rating_total=Sum("rating"),
        )
        .order_by()
    )
    for r in chats:
        fact = row(r, "assignee_id")
        fact.chats, fact.answered, fact.messages = r["chats"], r["answered"], r["messages"] or 0
        fact.first_response_total = _seconds(r["first_response"])
        fact.closed, fact.handling_total = r["closed"], _seconds(r["handling"])
        fact.rated, fact.rating_total = r["rated"], r["rating_total"] or 0
    presales = (
        grouped(
            Conversation.objects.filter(
                assigned_at__gte=start,
                assigned_at__lt=end,
                assignee__isnull=False,
                inbox__is_presales=True,
            ),
            "assigned_at",
            "assignee_id",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in presales:
        row(r, "assignee_id").presales_chats = r["n"]
    ticks = (
        grouped(
            PresalesTick.objects.filter(
                conversation__assigned_at__gte=start,
                conversation__assigned_at__lt=end,
                conversation__assignee__isnull=False,
                conversation__inbox__is_presales=True,
            ),
            "conversation__assigned_at",
            "conversation__assignee_id",
            "step",
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in ticks:  # a step is ticked once per chat: ticks counted are chats with the step
        row(r, "conversation__assignee_id").steps_done[r["step"]] = r["n"]
    from kefu.tickets.selectors import return_visit_satisfaction

    for r in return_visit_satisfaction(start=start, end=end, tz=tz, by_day=by_day):
        fact = row(r, "agent")
        fact.visits, fact.visit_total = r["answers"], r["total"] or 0
    responses = (
        grouped(
            Message.objects.filter(
                sender=SenderKind.AGENT,
                response_seconds__isnull=False,
                author__isnull=False,
                created_at__gte=start,
                created_at__lt=end,
            ),
            "created_at",
            "author_id",
        )
        .annotate(n=Count("id"), total=Sum("response_seconds"))
        .order_by()
    )
    for r in responses:
        fact = row(r, "author_id")
        fact.responses, fact.response_total = r["n"], float(r["total"] or 0)
    return rows
