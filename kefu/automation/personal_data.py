"""What automation holds about a customer (kefu/core/personal_data.py): the log of the rules that
ran on their records (an action's result may quote them: the provider's error of an SMS that echoes
their number) and the webhook calls and robot messages about their records, which name a ticket by
its number and subject (and a problem by its title), found by the record each was made for.

Erased after the apps that hold those records (order 60, as notifications): each log row keeps its
rule, event, record and outcome, each result its action and whether it worked; each delivery keeps
its target, event, state, tries and answer, and its body keeps its shape (a resend still posts a
well-formed message) with the line naming the record erased."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.automation import catalog
from kefu.automation.models import Delivery, RuleLog
from kefu.conversations.models import Conversation
from kefu.core import personal_data as pd
from kefu.feedback.models import Problem
from kefu.tickets.models import Ticket
from kefu.visits.models import SurveyAnswer

LOG = ("rule__name", "event", "subject_kind", "subject_id", "outcome", "results", "created_at")


def _ids(qs: Any) -> list[int]:
    return list(qs.values_list("pk", flat=True))


def _subjects(customer: Any) -> dict[str, list[int]]:
    """The customer's records a rule may have run on, by catalog kind."""
    return {
        catalog.TICKET: _ids(Ticket.objects.filter(customer=customer)),
        catalog.CONVERSATION: _ids(Conversation.objects.filter(customer=customer)),
        catalog.CUSTOMER: [customer.pk],
        catalog.SURVEY: _ids(SurveyAnswer.objects.filter(invitation__customer=customer)),
    }


def _about(subjects: dict[str, list[int]]) -> Q:
    about = Q(pk__in=[])
    for kind, ids in subjects.items():
        if ids:
            about |= Q(subject_kind=kind, subject_id__in=ids)
    return about


def _logs(customer: Any) -> Any:
    """The log rows of the rules that ran on the customer's records."""
    return RuleLog.objects.filter(_about(_subjects(customer)))


def _deliveries(customer: Any) -> Any:
    """The webhook calls and robot messages about the customer's records (as the log's), and about
    the problems their reports titled (the feedback eraser has erased those titles by now), by the
    record each delivery was made for (Delivery.subject_kind/subject_id; migration 0002 filled
    them in for the deliveries made before)."""
    subjects = _subjects(customer)
    subjects[catalog.PROBLEM] = _ids(
        Problem.objects.filter(reports__customer=customer, title=pd.ERASED).distinct()
    )
    return Delivery.objects.filter(_about(subjects))


def _erased_body(body: str) -> str:
    """The body with what names the record erased: a webhook's data.title, a robot message's text
    (WeCom: markdown.content; DingTalk: markdown.text, its title being the rule's)."""
    try:
        message = json.loads(body)
    except ValueError:
        return pd.ERASED
    if not isinstance(message, dict):
        return pd.ERASED
    data, markdown = message.get("data"), message.get("markdown")
    if isinstance(data, dict) and "title" in data:
        data["title"] = pd.ERASED
    elif isinstance(markdown, dict):
        for key in ("content", "text"):
            if key in markdown:
                markdown[key] = pd.ERASED
    else:
        return pd.ERASED
    return json.dumps(message, ensure_ascii=False, sort_keys="data" in message)


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    return [
        pd.Table("automation_log", pd.rows(_logs(customer), LOG)),
        pd.Table(
            "automation_deliveries",
            pd.rows(_deliveries(customer), ("event", "state", "created_at", "body")),
        ),
    ]


def erase(customer: Any) -> dict[str, int]:
    logs = 0
    for log in _logs(customer).only("results"):
        results = [
            {**result, "text": pd.ERASED} if isinstance(result, dict) else pd.ERASED
            for result in log.results or []
        ]
        if results != log.results:
            RuleLog.objects.filter(pk=log.pk).update(results=results)
            logs += 1
    deliveries = 0
    for delivery in _deliveries(customer).only("body"):
        body = _erased_body(delivery.body)
        if body != delivery.body:
            Delivery.objects.filter(pk=delivery.pk).update(body=body)
            deliveries += 1
    return {"automation_log": logs, "automation_deliveries": deliveries}


def register() -> None:
    pd.register(pd.Holder("automation", _("Automation"), export, erase, order=60))
