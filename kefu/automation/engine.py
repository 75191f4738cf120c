"""Running rules: the facts of the record an event is about, the conditions checked against them,
the actions carried out through the other apps' services, and the chain guard.

Loops: the actions run under `events.caused_by(chain + (rule.id,))`, so every event they emit
carries the chain of rules that led to it. A rule already in the chain does not run again (logged
as a loop), and a chain longer than MAX_CHAIN stops (a rule that creates a ticket on "ticket
created" makes one more ticket, not thousands).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from kefu.automation import catalog
from kefu.automation.models import Outcome, Rule, RuleLog

logger = logging.getLogger(__name__)
MAX_CHAIN = 3
CACHE_SECONDS = 5.0  # rules saved in another process are seen within this time
SHANGHAI = ZoneInfo("Asia/Shanghai")

# The subject's id in each event's payload.
SUBJECT_KEY = {
    catalog.TICKET: "ticket_id",
    catalog.CONVERSATION: "conversation_id",
    catalog.CUSTOMER: "customer_id",
    catalog.SURVEY: "answer_id",
    catalog.PROBLEM: "problem_id",
}


@dataclass
class Facts:
    """What conditions are checked against: one record and its customer."""

    kind: str
    id: int
    at: dt.datetime
    values: dict[str, Any] = field(default_factory=dict)
    customer_id: int | None = None
    _tags: set[str] | None = None

    @property
    def tags(self) -> set[str]:
        if self._tags is None:
            from kefu.customers.models import Tag

            self._tags = (
                set(
                    Tag.objects.filter(customers__id=self.customer_id).values_list(
                        "name", flat=True
                    )
                )
                if self.customer_id
                else set()
            )
        return self._tags


def _customer_values(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_level": row.get(f"{prefix}level"),
        "region": row.get(f"{prefix}region") or "",
    }


def facts_for(kind: str, subject_id: int, *, at: dt.datetime | None = None) -> Facts | None:
    """The facts of one record, or None when it is gone."""
    now = at or timezone.now()
    if kind == catalog.TICKET:
        row = _ticket_row(subject_id)
        if row is None:
            return None
        (
            kind_,
            priority,
            channel,
            category,
            department,
            subject,
            content,
            customer,
            level,
            region,
        ) = row
        values = {
            "ticket_type": kind_,
            "priority": priority,
            "channel": channel,
            "category": category,
            "department": department,
            "text": f"{subject}\n{content}".lower(),
            "customer_level": level,
            "region": region or "",
        }
        return Facts(kind, subject_id, now, values, customer)
    if kind == catalog.CONVERSATION:
        from kefu.conversations.models import Conversation

        chats = list(
            Conversation.objects.filter(pk=subject_id).values(
                "inbox__kind", "customer_id", "customer__level", "customer__region", "rating"
            )[:1]
        )
        if not chats:
            return None
        chat: dict[str, Any] = dict(chats[0])
        channel = "web_chat" if chat["inbox__kind"] == "web" else chat["inbox__kind"]
        values = {
            "channel": channel,
            "rating": chat.get("rating"),
            **_customer_values("customer__", chat),
        }
        return Facts(kind, subject_id, now, values, chat["customer_id"])
    if kind == catalog.CUSTOMER:
        from kefu.customers.models import Customer

        people = list(Customer.objects.filter(pk=subject_id).values("level", "region")[:1])
        if not people:
            return None
        return Facts(kind, subject_id, now, _customer_values("", dict(people[0])), subject_id)
    if kind == catalog.SURVEY:
        from kefu.visits.models import SurveyAnswer

        found = list(
            SurveyAnswer.objects.filter(pk=subject_id).values(
                "score",
                "invitation__customer_id",
                "invitation__customer__level",
                "invitation__customer__region",
            )[:1]
        )
        if not found:
            return None
        answer: dict[str, Any] = dict(found[0])
        values = {"rating": answer["score"], **_customer_values("invitation__customer__", answer)}
        return Facts(kind, subject_id, now, values, answer["invitation__customer_id"])
    if kind == catalog.PROBLEM:
        from kefu.feedback.models import Problem

        states = list(Problem.objects.filter(pk=subject_id).values_list("state", flat=True)[:1])
        if not states:
            return None
        return Facts(kind, subject_id, now, {"problem_state": states[0]})
    raise ValueError(kind)


_TICKET_SQL: str | None = None


def _ticket_row(ticket_id: int) -> tuple[Any, ...] | None:
    """One ticket's facts in one plain query: the ORM's compiling costs more than the query on a
    burst of events (bench/automation)."""
    global _TICKET_SQL
    from django.db import connection

    from kefu.customers.models import Customer
    from kefu.tickets.models import Ticket

    if _TICKET_SQL is None:
        t, c = Ticket._meta.db_table, Customer._meta.db_table
        q = connection.ops.quote_name
        # Table and column names from _meta, quoted; the one value is a parameter.
        _TICKET_SQL = (
            f"SELECT t.{q('type')}, t.{q('priority')}, t.{q('channel')}, t.{q('category_id')}, "  # noqa: S608
            f"t.{q('department_id')}, t.{q('subject')}, t.{q('content')}, t.{q('customer_id')}, "
            f"c.{q('level')}, c.{q('region')} FROM {q(t)} t LEFT JOIN {q(c)} c "
            f"ON c.{q('id')} = t.{q('customer_id')} WHERE t.{q('id')} = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(_TICKET_SQL, [ticket_id])
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row


def _minutes(text: str) -> int | None:
    try:
        hours, minutes = text.split(":")
        return int(hours) * 60 + int(minutes)
    except (ValueError, AttributeError):
        return None


def matches(conditions: dict[str, Any], facts: Facts) -> bool:
    """Every condition that is set holds for `facts` (a condition the record cannot have fails)."""
    for key, wanted in conditions.items():
        if wanted in (None, "", []):
            continue
        if key in ("time_from", "time_to"):
            continue
        if key == "text":
            if str(wanted).lower() not in facts.values.get("text", ""):
                return False
        elif key == "tag":
            if wanted not in facts.tags:
                return False
        elif key == "rating_at_most":
            rating = facts.values.get("rating")
            if rating is None or rating > int(wanted):
                return False
        elif key == "region":
            if facts.values.get("region", "") != wanted:
                return False
        elif facts.values.get(key) != wanted:
            return False
    start, end = (
        _minutes(conditions.get("time_from") or ""),
        _minutes(conditions.get("time_to") or ""),
    )
    if start is not None and end is not None:
        local = facts.at.astimezone(SHANGHAI)
        now = local.hour * 60 + local.minute
        inside = start <= now < end if start <= end else (now >= start or now < end)
        if not inside:
            return False
    return True


@dataclass(frozen=True)
class CachedRule:
    id: int
    name: str
    trigger: str
    conditions: dict[str, Any]
    actions: dict[str, Any]
    acts_as_id: int


class _RuleCache:
    """The enabled rules by trigger, read once and kept CACHE_SECONDS (cleared when this process
    saves a rule): a burst of events must not read the rules table for each one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_trigger: dict[str, list[CachedRule]] | None = None
        self._read_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._by_trigger = None

    def for_trigger(self, code: str) -> list[CachedRule]:
        with self._lock:
            if self._by_trigger is None or time.monotonic() - self._read_at > CACHE_SECONDS:
                by_trigger: dict[str, list[CachedRule]] = {}
                for rule in Rule.objects.filter(is_enabled=True).order_by("position", "id"):
                    by_trigger.setdefault(rule.trigger, []).append(
                        CachedRule(
                            rule.pk,
                            rule.name,
                            rule.trigger,
                            dict(rule.conditions),
                            dict(rule.actions),
                            rule.acts_as_id,
                        )
                    )
                self._by_trigger = by_trigger
                self._read_at = time.monotonic()
            return self._by_trigger.get(code, [])


rules_cache = _RuleCache()


def handle_event(event_name: str, payload: dict[str, Any], chain: tuple[int, ...] = ()) -> int:
    """Run the enabled rules whose trigger this event is; the number of rules that matched."""
    matched = 0
    for trigger in catalog.TRIGGERS_BY_EVENT.get(event_name, []):
        rules = rules_cache.for_trigger(trigger.code)
        if not rules:
            continue
        subject_id = payload.get(SUBJECT_KEY[trigger.subject])
        if not subject_id:
            continue
        facts = facts_for(trigger.subject, int(subject_id))
        if facts is None:
            continue
        for rule in rules:
            if not matches(rule.conditions, facts):
                continue
            matched += 1
            _run(rule, facts, event_name, chain)
    return matched


def _run(rule: CachedRule, facts: Facts, event_name: str, chain: tuple[int, ...]) -> None:
    from kefu.automation import actions

    log = RuleLog(
        rule_id=rule.id,
        event=event_name,
        subject_kind=facts.kind,
        subject_id=facts.id,
        chain=list(chain),
    )
    if rule.id in chain:
        log.outcome = Outcome.LOOP
    elif len(chain) >= MAX_CHAIN:
        log.outcome = Outcome.TOO_DEEP
    else:
        results = actions.carry_out(rule, facts, chain=(*chain, rule.id))
        log.results = results
        log.outcome = Outcome.DONE if all(r["ok"] for r in results) else Outcome.PARTLY
    log.save()


def describe(rule_actions: dict[str, Any], kind: str) -> list[str]:
    """What the actions would do, in words: the dry run's answer."""
    from kefu.automation import actions

    return [text for _key, text in actions.planned(rule_actions, kind)]


def dry_run(
    *, trigger: str, conditions: dict[str, Any], rule_actions: dict[str, Any], last: int
) -> list[dict[str, Any]]:
    """The last `last` records of the trigger's kind, each with whether the rule would have
    matched it (its facts as they are now, the time of day when it was created) and what it would
    have done. Nothing is written."""
    spec = catalog.TRIGGER_BY_CODE[trigger]
    model: Any
    when = "created_at"
    if spec.subject == catalog.TICKET:
        from kefu.tickets.models import Ticket as model
    elif spec.subject == catalog.CONVERSATION:
        from kefu.conversations.models import Conversation as model
    elif spec.subject == catalog.SURVEY:
        from kefu.visits.models import SurveyAnswer as model

        when = "answered_at"
    elif spec.subject == catalog.PROBLEM:
        from kefu.feedback.models import Problem as model
    else:
        from kefu.customers.models import Customer as model
    rows = list(model.objects.order_by("-id").values_list("pk", when)[:last])
    plan = describe(rule_actions, spec.subject)
    outcome: list[dict[str, Any]] = []
    for pk, created_at in rows:
        facts = facts_for(spec.subject, pk, at=created_at)
        if facts is None:
            continue
        hit = matches(conditions, facts)
        outcome.append(
            {"kind": spec.subject, "id": pk, "matched": hit, "actions": plan if hit else []}
        )
    return outcome
