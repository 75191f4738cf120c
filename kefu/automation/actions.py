"""The actions of a rule, each through the service of the app that owns the record, as the rule's
`acts_as` user (the services check that user's permissions as for anyone). An action that is
refused or fails is logged with the reason and the others still run."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.automation import catalog
from kefu.core.errors import DomainError
from kefu.core.events import caused_by

if TYPE_CHECKING:
    from kefu.automation.engine import CachedRule, Facts

logger = logging.getLogger(__name__)


def _label_of(key: str, value: Any) -> str:
    """The value as the form shows it (a name, not an id)."""
    from kefu.accounts.models import Department, User
    from kefu.automation.models import Robot, Webhook
    from kefu.replies.models import CannedReply
    from kefu.tickets.models import TicketCategory
    from kefu.tickets.states import Priority

    lookups: dict[str, Any] = {
        "set_category": TicketCategory,
        "set_department": Department,
        "assign_to": User,
        "notify_user": User,
        "canned_reply": CannedReply,
        "webhook": Webhook,
        "robot": Robot,
    }
    if key == "set_priority":
        return str(dict(Priority.choices).get(value, value))
    if key == "create_visit":
        if value == catalog.AUTO_VISITOR:
            return _("The customer's owner, else the least busy agent")
        found_user = User.objects.filter(pk=value).first()
        return str(found_user) if found_user else f"#{value}"
    model = lookups.get(key)
    if model is not None:
        found = model.objects.filter(pk=value).first()
        return str(found) if found else f"#{value}"
    return str(value)


def planned(rule_actions: dict[str, Any], kind: str) -> list[tuple[str, str]]:
    """(key, "Set the priority: Urgent") for each action that applies to `kind`, in order."""
    out = []
    for key, (label, subjects) in catalog.ACTIONS.items():
        value = rule_actions.get(key)
        if value in (None, "", []) or kind not in subjects:
            continue
        out.append((key, f"{label}: {_label_of(key, value)}"))
    return out


def _link(facts: Facts) -> str:
    if facts.kind == catalog.SURVEY:  # the answer is on the customer's timeline
        return (
            reverse("customers:detail", kwargs={"customer_id": facts.customer_id})
            if facts.customer_id
            else reverse("visits:surveys")
        )
    name = {
        catalog.TICKET: "tickets:detail",
        catalog.CONVERSATION: "conversations:chat",
        catalog.CUSTOMER: "customers:detail",
        catalog.PROBLEM: "feedback:problem",
    }[facts.kind]
    arg = {
        catalog.TICKET: "ticket_id",
        catalog.CONVERSATION: "conversation_id",
        catalog.CUSTOMER: "customer_id",
        catalog.PROBLEM: "problem_id",
    }[facts.kind]
    return reverse(name, kwargs={arg: facts.id})


def _title(facts: Facts) -> str:
    """A line naming the record, for notifications, robots and webhooks."""
    if facts.kind == catalog.TICKET:
        from kefu.automation.deliveries import inert
        from kefu.tickets.models import Ticket

        ticket = Ticket.objects.filter(pk=facts.id).only("number", "subject").first()
        return f"{ticket.number} {inert(ticket.subject)}" if ticket else f"#{facts.id}"
    if facts.kind == catalog.CONVERSATION:
        return _("Conversation #%(id)d") % {"id": facts.id}
    if facts.kind == catalog.SURVEY:
        rating = facts.values.get("rating")
        return _("Survey answer #%(id)d, score %(score)s") % {
            "id": facts.id,
            "score": "—" if rating is None else rating,
        }
    if facts.kind == catalog.PROBLEM:
        from kefu.automation.deliveries import inert
        from kefu.feedback.models import Problem

        problem = Problem.objects.filter(pk=facts.id).first()
        if problem is None:
            return _("Problem #%(id)d") % {"id": facts.id}
        state = problem.get_state_display()
        if problem.fixed_version:
            state = f"{state} {problem.fixed_version}"
        return _("Problem #%(id)d %(title)s (%(state)s, %(count)d reports)") % {
            "id": facts.id,
            "title": inert(problem.title),
            "state": state,
            "count": problem.reports.count(),
        }
    return _("Customer #%(id)d") % {"id": facts.id}


def _ticket_version(ticket_id: int) -> int:
    from kefu.tickets.models import Ticket

    return Ticket.objects.values_list("version", flat=True).get(pk=ticket_id)


def _do(key: str, value: Any, *, rule: CachedRule, facts: Facts, actor: Any) -> str:
    """Carry out one action; returns what was done. Raises DomainError when refused."""
    from kefu.tickets.services import tickets as ticket_services

    if key in ("set_priority", "set_category", "set_department"):
        ticket_services.set_ticket_fields(
            actor=actor,
            ticket_id=facts.id,
            expected_version=_ticket_version(facts.id),
            priority=value if key == "set_priority" else None,
            category_id=int(value) if key == "set_category" else None,
            department_id=int(value) if key == "set_department" else None,
        )
        return _label_of(key, value)
    if key == "assign_to":
        ticket_services.assign_ticket(
            actor=actor,
            ticket_id=facts.id,
            expected_version=_ticket_version(facts.id),
            assignee_id=int(value),
        )
        return _label_of(key, value)
    if key == "add_tag":
        from kefu.customers.models import Customer
        from kefu.customers.services.profiles import update_customer

        customer = Customer.objects.filter(pk=facts.customer_id or 0).first()
        if customer is None:
            raise DomainError(_("The record has no customer."))
        names = list(customer.tags.values_list("name", flat=True))
        if value not in names:
            update_customer(actor=actor, customer=customer, tags=[*names, value])
        return str(value)
    if key == "canned_reply":
        from kefu.conversations.models import Conversation, SenderKind
        from kefu.conversations.services.messages import post_message
        from kefu.replies.models import CannedReply
        from kefu.replies.services import fill_variables

        reply = CannedReply.objects.filter(pk=value).first()
        conversation = Conversation.objects.select_related("customer").filter(pk=facts.id).first()
        if reply is None or conversation is None:
            raise DomainError(_("The canned reply or the conversation no longer exists."))
        body = fill_variables(
            reply.body,
            customer_name=conversation.customer.name if conversation.customer else "",
        )
        # The key makes a repeated run of the rule on this conversation store nothing new.
        post_message(
            conversation=conversation,
            sender=SenderKind.SYSTEM,
            body=body,
            client_key=f"rule-{rule.id}-{conversation.pk}",
        )
        return reply.title
    if key == "notify_user":
        from kefu.notifications.services import notify

        notify(
            recipient_ids=[int(value)],
            kind="automation",
            title=_("Rule “%(rule)s”: %(record)s") % {"rule": rule.name, "record": _title(facts)},
            link=_link(facts),
        )
        return _label_of(key, value)
    if key == "sms_template":
        from kefu.customers.models import Customer
        from kefu.sms.services import send_customer_sms

        customer = Customer.objects.filter(pk=facts.customer_id or 0).first()
        if customer is None:
            raise DomainError(_("The record has no customer."))
        result = send_customer_sms(
            actor=actor, customer=customer, template_code=str(value), params={}
        )
        if not getattr(result, "ok", True):
            raise DomainError(str(getattr(result, "error", "")) or _("The SMS was not sent."))
        return str(value)
    if key in ("create_ticket", "create_complaint"):
        from kefu.tickets.states import TicketType

        ticket = ticket_services.create_ticket(
            actor=actor,
            type=TicketType.COMPLAINT if key == "create_complaint" else TicketType.CONSULTATION,
            subject=str(value),
            # what led to it, for whoever opens the ticket: the answer and its score
            content=_title(facts) if facts.kind == catalog.SURVEY else "",
            customer_id=facts.customer_id,
        )
        return ticket.number
    if key == "create_visit":
        from kefu.visits.services import create_visit

        if not facts.customer_id:
            raise DomainError(_("The record has no customer."))
        visit, created = create_visit(
            actor=actor,
            customer_id=facts.customer_id,
            assignee_id=None if value == catalog.AUTO_VISITOR else int(value),
        )
        done = _("Return visit #%(id)d for %(agent)s") % {"id": visit.pk, "agent": visit.assignee}
        return (
            done if created else _("Already has an open return visit: %(visit)s") % {"visit": done}
        )
    if key in ("webhook", "robot"):
        from kefu.automation import services

        data = {"rule": rule.name, "kind": facts.kind, "id": facts.id, "title": _title(facts)}
        if key == "webhook":
            services.queue_webhook(
                webhook_id=int(value),
                event=f"automation.{rule.trigger}",
                data=data,
                subject=(facts.kind, facts.id),
            )
        else:
            link = _link(facts)
            text = f"{_title(facts)}\n[{link}]({link})"
            services.queue_robot(
                robot_id=int(value),
                event=f"automation.{rule.trigger}",
                title=_("Rule “%(rule)s”") % {"rule": rule.name},
                text=text,
                subject=(facts.kind, facts.id),
            )
        return _label_of(key, value)
    raise DomainError(_("Unknown action."))


def carry_out(rule: CachedRule, facts: Facts, *, chain: tuple[int, ...]) -> list[dict[str, Any]]:
    """Each action of `rule` that applies to the record, in catalogue order; one result each."""
    from kefu.accounts.models import User

    actor = User.objects.filter(pk=rule.acts_as_id, is_active=True).first()
    results: list[dict[str, Any]] = []
    with caused_by(chain):
        for key, text in planned(rule.actions, facts.kind):
            if actor is None:
                results.append(
                    {
                        "action": text,
                        "ok": False,
                        "text": _("The rule's author is no longer active."),
                    }
                )
                continue
            try:
                # An SMS is stored before the provider is called and must not roll back after it.
                atomic = contextlib.nullcontext() if key == "sms_template" else transaction.atomic()
                with atomic:
                    done = _do(key, rule.actions[key], rule=rule, facts=facts, actor=actor)
                results.append({"action": text, "ok": True, "text": done})
            except DomainError as refusal:
                results.append({"action": text, "ok": False, "text": refusal.message})
            except Exception:  # one broken action must not stop the rule's others
                logger.exception("rule %s: action %s failed", rule.id, key)
                results.append(
                    {"action": text, "ok": False, "text": _("Failed; see the server log.")}
                )
    return results
