"""What automation does when other apps' events arrive.

Rules: an inline step in the committing process queues `tasks.evaluate_event` with the chain of
rules that caused the event (events.current_cause(): the loop guard, engine.py); the rules run in
the worker. Events no enabled rule listens to queue nothing.

Robots: time-limit warnings, breaches (the escalation) and issued report packs are posted to the
robots that asked for them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.automation import catalog, deliveries, engine, services
from kefu.conversations import events as _conversation_events  # their event types, by name
from kefu.core.events import EVENT_TYPES, Delivery, DomainEvent, current_cause, subscribe
from kefu.customers import events as _customer_events
from kefu.feedback import events as _feedback_events
from kefu.reports.events import ReportIssued
from kefu.tickets.events import TicketSlaBreached, TicketSlaWarning
from kefu.visits import events as _visit_events


def has_rules(event: DomainEvent) -> bool:
    return any(
        engine.rules_cache.for_trigger(t.code) for t in catalog.TRIGGERS_BY_EVENT[event.name]
    )


def queue_evaluation(event: DomainEvent) -> None:
    from kefu.automation.tasks import evaluate_event

    evaluate_event(event.name, event.payload(), list(current_cause()))


def _ticket_line(ticket_id: int) -> tuple[str, str]:
    from django.urls import reverse

    from kefu.tickets.models import Ticket

    ticket = Ticket.objects.filter(pk=ticket_id).only("number", "subject").first()
    line = f"{ticket.number} {deliveries.inert(ticket.subject)}" if ticket else f"#{ticket_id}"
    return line, reverse("tickets:detail", kwargs={"ticket_id": ticket_id})


def robots_on_warning(event: TicketSlaWarning) -> None:
    line, link = _ticket_line(event.ticket_id)
    services.tell_robots(
        flag="on_warning",
        event=event.name,
        title=_("Time limit near"),
        text=f"{line}\n[{link}]({link})",
        subject=(catalog.TICKET, event.ticket_id),
    )


def robots_on_breach(event: TicketSlaBreached) -> None:
    line, link = _ticket_line(event.ticket_id)
    services.tell_robots(
        flag="on_breach",
        event=event.name,
        title=_("Time limit breached: escalated to the supervisors"),
        text=f"{line}\n[{link}]({link})",
        subject=(catalog.TICKET, event.ticket_id),
    )


def robots_on_report(event: ReportIssued) -> None:
    services.tell_robots(
        flag="on_report",
        event=event.name,
        title=_("Report pack issued"),
        text=_("The %(kind)s pack from %(start)s is ready in kefu's reports.")
        % {"kind": event.kind, "start": event.period_start},
    )


_IMPORTED = (
    _conversation_events,
    _customer_events,
    _feedback_events,
    _visit_events,
)  # EVENT_TYPES holds them once imported


def register() -> None:
    for name in catalog.TRIGGERS_BY_EVENT:
        subscribe(EVENT_TYPES[name], queue_evaluation, mode=Delivery.INLINE, when=has_rules)
    subscribe(TicketSlaWarning, f"{__name__}.robots_on_warning")
    subscribe(TicketSlaBreached, f"{__name__}.robots_on_breach")
    subscribe(ReportIssued, f"{__name__}.robots_on_report")
