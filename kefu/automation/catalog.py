"""What a rule may say: its triggers (the events core already emits), its conditions and its
actions, each with the label a manager reads on the form. Stored as plain dicts on Rule."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

TICKET, CONVERSATION, CUSTOMER = "ticket", "conversation", "customer"
SURVEY = "survey"  # a survey answer (kefu.visits SurveyAnswer): its score and its customer
PROBLEM = "problem"  # a grouped feedback problem (kefu.feedback Problem): no single customer


@dataclass(frozen=True)
class Trigger:
    code: str
    label: object
    subject: str  # the kind of record the event is about
    events: tuple[str, ...]  # kefu.core.events names (docs/events.md)


TRIGGERS = [
    Trigger("ticket_created", _("A ticket is created"), TICKET, ("tickets.created",)),
    Trigger(
        "ticket_changed",
        _("A ticket changes (moved, assigned, handler, priority or category)"),
        TICKET,
        (
            "tickets.transitioned",
            "tickets.assigned",
            "tickets.handler_changed",
            "tickets.fields_changed",
        ),
    ),
    Trigger("sla_warning", _("A ticket's time limit is near"), TICKET, ("tickets.sla_warning",)),
    Trigger(
        "sla_breached", _("A ticket's time limit is breached"), TICKET, ("tickets.sla_breached",)
    ),
    Trigger(
        "conversation_started", _("A conversation starts"), CONVERSATION, ("conversations.started",)
    ),
    Trigger(
        "conversation_closed",
        _("A conversation is closed"),
        CONVERSATION,
        ("conversations.closed",),
    ),
    Trigger(
        "conversation_rated",
        _("A customer answers the satisfaction survey"),
        CONVERSATION,
        ("conversations.rated",),
    ),
    Trigger(
        "survey_answered",
        _("A customer answers a survey sent by link"),
        SURVEY,
        ("visits.survey_answered",),
    ),
    Trigger("customer_created", _("A customer is created"), CUSTOMER, ("customers.created",)),
    # Feedback handed to the development department (issue 16.5: "by a webhook once automation
    # lands"): a new problem, and each change of its state (confirmed, fixed in version X, …).
    Trigger(
        "problem_opened",
        _("A feedback problem is opened"),
        PROBLEM,
        ("feedback.problem_opened",),
    ),
    Trigger(
        "problem_changed",
        _("A feedback problem changes state"),
        PROBLEM,
        ("feedback.problem_state_changed",),
    ),
]
TRIGGER_BY_CODE = {t.code: t for t in TRIGGERS}
TRIGGERS_BY_EVENT: dict[str, list[Trigger]] = {}
for _t in TRIGGERS:
    for _name in _t.events:
        TRIGGERS_BY_EVENT.setdefault(_name, []).append(_t)

ALL = frozenset({TICKET, CONVERSATION, CUSTOMER, SURVEY})  # the records that name a customer
ANY = ALL | {PROBLEM}

# Conditions: key → (label, the subjects it applies to). All that are set must hold.
CONDITIONS: dict[str, tuple[object, frozenset[str]]] = {
    "ticket_type": (_("Ticket type"), frozenset({TICKET})),
    "priority": (_("Priority"), frozenset({TICKET})),
    "category": (_("Category"), frozenset({TICKET})),
    "department": (_("Department"), frozenset({TICKET})),
    "text": (_("Subject or content contains"), frozenset({TICKET})),
    "channel": (_("Channel"), frozenset({TICKET, CONVERSATION})),
    # A survey's rating is the score of its first 1–5 question (the one scale of every channel).
    "rating_at_most": (_("Satisfaction rating at most"), frozenset({CONVERSATION, SURVEY})),
    "customer_level": (_("Customer level"), frozenset({TICKET, CONVERSATION, CUSTOMER, SURVEY})),
    "region": (_("Customer's province"), frozenset({TICKET, CONVERSATION, CUSTOMER, SURVEY})),
    "tag": (_("Customer has the tag"), frozenset({TICKET, CONVERSATION, CUSTOMER, SURVEY})),
    "problem_state": (_("Problem state"), frozenset({PROBLEM})),
    "time_from": (_("Between (from, HH:MM)"), ANY),
    "time_to": (_("Between (to, HH:MM)"), ANY),
}

# Actions: key → (label, the subjects it applies to). Run in this order. create_visit's value is
# an agent's id or AUTO_VISITOR (the customer's owner, else the agent with the fewest open visits).
AUTO_VISITOR = "auto"
ACTIONS: dict[str, tuple[object, frozenset[str]]] = {
    "set_priority": (_("Set the priority"), frozenset({TICKET})),
    "set_category": (_("Set the category"), frozenset({TICKET})),
    "set_department": (_("Set the department"), frozenset({TICKET})),
    "assign_to": (_("Assign to"), frozenset({TICKET})),
    "add_tag": (_("Add a tag to the customer"), ALL),
    "canned_reply": (_("Send a canned reply"), frozenset({CONVERSATION})),
    "notify_user": (_("Notify"), ANY),
    "sms_template": (_("Send the customer an SMS (template)"), ALL),
    "create_ticket": (
        _("Create a ticket with the subject"),
        frozenset({CONVERSATION, CUSTOMER, SURVEY}),
    ),
    "create_complaint": (
        _("Open a complaint with the subject"),
        frozenset({CONVERSATION, CUSTOMER, SURVEY}),
    ),
    "create_visit": (_("Create a return visit task for"), ALL),
    "webhook": (_("Call the webhook"), ANY),
    "robot": (_("Post to the group robot"), ANY),
}
