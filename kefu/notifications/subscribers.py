"""Who is told what about tickets and failed e-mail replies (in the app and by e-mail). Task
subscribers: run in the worker."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from kefu.accounts.models import User
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from kefu.conversations.events import EmailReplyStateChanged
from kefu.conversations.models import MailSendState
from kefu.core.events import Delivery, subscribe
from kefu.customers.events import ContactOverdue, CustomerAssignmentRequested
from kefu.customers.models import Customer
from kefu.dispatch.events import WorkOrderAssigned, WorkOrderLate
from kefu.dispatch.models import WorkOrder
from kefu.feedback.events import ProblemOpened
from kefu.feedback.models import Problem
from kefu.feedback.selectors import developers
from kefu.knowledge.events import MessageFlagged
from kefu.knowledge.flags import REASON_LABELS
from kefu.notifications.models import Notification
from kefu.notifications.services import notify
from kefu.quality.events import (
    AppealDecided,
    CallChecked,
    ConversationChecked,
    ReviewAppealed,
    ReviewDone,
    SheetDecided,
    SheetSubmitted,
)
from kefu.quality.models import RewardPenaltySheet, SheetState
from kefu.tickets.events import (
    PlanApprovalRequested,
    TicketAssigned,
    TicketCreated,
    TicketFieldsChanged,
    TicketHandlerChanged,
    TicketRouted,
    TicketSlaBreached,
    TicketSlaWarning,
)
from kefu.tickets.models import SlaClock, Ticket
from kefu.tickets.services.sla import supervisors_to_escalate_to
from kefu.tickets.states import Priority, TicketState
from kefu.visits.events import CampaignDecided, CampaignSubmitted, PlanReminderDue
from kefu.visits.models import CampaignState, VisitCampaign


def _ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.filter(pk=ticket_id).first()


def _link(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def _department_staff(department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    return list(
        User.objects.filter(
            department_id=department_id, role=Role.DEPARTMENT_STAFF, is_active=True
        ).values_list("pk", flat=True)
    )


def _approvers() -> list[int]:
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.APPROVE in perms]
    return list(User.objects.filter(role__in=roles, is_active=True).values_list("pk", flat=True))


def on_assigned(event: TicketAssigned) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None or event.assignee_id is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.assignee_id],
            kind=event.name,
            link=_link(ticket),
            exclude_id=event.assigned_by_id,
            title=_("Ticket %(number)s was assigned to you: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
        )


def on_handler_changed(event: TicketHandlerChanged) -> None:
    """The new 处理人 learns the complaint is theirs (not when they took it themselves)."""
    ticket = _ticket(event.ticket_id)
    if ticket is None or event.handler_id is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.handler_id],
            kind=event.name,
            link=_link(ticket),
            exclude_id=event.changed_by_id,
            title=_("You handle %(number)s for your department: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
        )


def is_urgent(event: TicketCreated) -> bool:
    return event.priority == Priority.URGENT


def is_raised(event: TicketFieldsChanged) -> bool:
    return "priority" in event.fields


def on_urgent_ticket(event: TicketCreated) -> None:
    """Priority.URGENT promises that a supervisor is told at once: every supervisor and manager who
    takes escalations (the same people a breach goes to) gets a notification."""
    _tell_urgent(event.ticket_id, by_id=event.created_by_id)


def on_raised_to_urgent(event: TicketFieldsChanged) -> None:
    """A ticket made urgent after it was created keeps the same promise."""
    _tell_urgent(event.ticket_id, by_id=event.changed_by_id)


def _tell_urgent(ticket_id: int, *, by_id: int | None) -> None:
    ticket = _ticket(ticket_id)
    if ticket is None or ticket.priority != Priority.URGENT:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=supervisors_to_escalate_to(),
            kind="tickets.urgent",
            link=_link(ticket),
            exclude_id=by_id,
            title=_("Urgent %(type)s %(number)s: %(subject)s")
            % {
                "type": ticket.get_type_display(),
                "number": ticket.number,
                "subject": ticket.subject,
            },
        )


def on_routed(event: TicketRouted) -> None:
    """The department's staff learn a complaint came to them; its handler is told separately (the
    complaint is theirs: on_handler_changed), so nobody gets two notices for one routing."""
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[
                i for i in _department_staff(event.department_id) if i != ticket.handler_id
            ],
            kind=event.name,
            link=_link(ticket),
            exclude_id=event.routed_by_id,
            title=_("Complaint %(number)s was routed to your department: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
        )


def on_plan_approval_requested(event: PlanApprovalRequested) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None or ticket.state != TicketState.PLAN_PROPOSED:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=_approvers(),
            kind=event.name,
            link=_link(ticket),
            exclude_id=event.proposed_by_id,
            title=_("The resolution plan of %(number)s waits for your approval")
            % {"number": ticket.number},
        )


def on_sla_warning(event: TicketSlaWarning) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.assignee_id, *_department_staff(event.department_id)],
            kind=event.name,
            link=_link(ticket),
            title=_("%(number)s: the %(clock)s time limit is near")
            % {"number": ticket.number, "clock": SlaClock(event.clock).label},
        )


def on_sla_breached(event: TicketSlaBreached) -> None:
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.assignee_id, *event.escalated_to_ids],
            kind=event.name,
            link=_link(ticket),
            title=_("%(number)s: the %(clock)s time limit has passed")
            % {"number": ticket.number, "clock": SlaClock(event.clock).label},
        )


def _assigners(department_id: int | None) -> list[int]:
    """Those who assign customers (调配), of the given department when it has any."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.ASSIGN_WORK in perms]
    everyone = User.objects.filter(role__in=roles, is_active=True)
    own = everyone.filter(department_id=department_id) if department_id else everyone.none()
    return list((own if own.exists() else everyone).values_list("pk", flat=True))


def on_assignment_requested(event: CustomerAssignmentRequested) -> None:
    """An agent met a customer they may not open (a duplicate contact point) and asks for it."""
    customer = Customer.objects.filter(pk=event.customer_id).first()
    agent = User.objects.filter(pk=event.requested_by_id).first()
    if customer is None or agent is None:
        return
    link = reverse("customers:detail", args=[customer.pk])
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(agent)s asks to be assigned customer %(name)s (no. %(id)s)") % {
            "agent": agent,
            "name": customer.name,
            "id": customer.pk,
        }
        waiting = set(
            Notification.objects.filter(
                kind=event.name, link=link, title=title[:200], read_at__isnull=True
            ).values_list("recipient_id", flat=True)
        )  # asked again before they read it: not told twice
        notify(
            recipient_ids=[i for i in _assigners(agent.department_id) if i not in waiting],
            kind=event.name,
            link=link,
            exclude_id=agent.pk,
            title=title,
        )


def is_failed_reply(event: EmailReplyStateChanged) -> bool:
    return event.state == MailSendState.FAILED


def on_email_reply_failed(event: EmailReplyStateChanged) -> None:
    """The reply's author, and the agent serving the chat now if someone else, learn that the
    customer did not get it, with a link to the chat where it can be resent."""
    link = reverse("conversations:workspace") + f"?c={event.conversation_id}"
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.author_id, event.assignee_id],
            kind=event.name,
            link=link,
            title=_("Chat #%(id)s: your e-mail reply could not be sent (%(reason)s)")
            % {"id": event.conversation_id, "reason": event.reason},
        )


def on_contact_overdue(event: ContactOverdue) -> None:
    """The seven-day rule: the owner is told once which of their customers wait for a contact."""
    count = len(event.customer_ids)
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.owner_id],
            kind=event.name,
            link=reverse("customers:due"),
            title=ngettext(
                "%(count)d customer assigned to you has not been contacted within seven days",
                "%(count)d customers assigned to you have not been contacted within seven days",
                count,
            )
            % {"count": count},
        )


def _sheet_link(sheet_id: int) -> str:
    return reverse("quality:sheet", args=[sheet_id])


def on_sheet_submitted(event: SheetSubmitted) -> None:
    """A supervisor's reward/penalty sheet waits for a superior's approval."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.APPROVE_SHEETS in perms]
    approvers = User.objects.filter(role__in=roles, is_active=True).values_list("pk", flat=True)
    sheet = RewardPenaltySheet.objects.select_related("agent").filter(pk=event.sheet_id).first()
    if sheet is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=list(approvers),
            kind=event.name,
            link=_sheet_link(sheet.pk),
            exclude_id=event.submitted_by_id,
            title=_("Reward/penalty sheet %(month)s of %(agent)s waits for your approval")
            % {"month": sheet.month.strftime("%Y-%m"), "agent": sheet.agent},
        )


def on_sheet_decided(event: SheetDecided) -> None:
    sheet = RewardPenaltySheet.objects.select_related("agent").filter(pk=event.sheet_id).first()
    if sheet is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("Reward/penalty sheet %(month)s of %(agent)s was approved")
            if event.state == SheetState.APPROVED
            else _("Reward/penalty sheet %(month)s of %(agent)s was returned: %(note)s")
        ) % {
            "month": sheet.month.strftime("%Y-%m"),
            "agent": sheet.agent,
            "note": sheet.decision_note,
        }
        notify(
            recipient_ids=[event.drafted_by_id],
            kind=event.name,
            link=_sheet_link(sheet.pk),
            exclude_id=event.decided_by_id,
            title=title,
        )


def _plan(campaign_id: int) -> VisitCampaign | None:
    return VisitCampaign.objects.filter(pk=campaign_id).first()


def _planners() -> list[int]:
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.ASSIGN_WORK in perms]
    return list(User.objects.filter(role__in=roles, is_active=True).values_list("pk", flat=True))


def on_plan_reminder_due(event: PlanReminderDue) -> None:
    """The 25th (seed 001): next month's visit plan is due; a draft waits."""
    plan = _plan(event.campaign_id)
    if plan is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=_planners(),
            kind=event.name,
            link=reverse("visits:plan", args=[plan.pk]),
            title=_("Next month's visit plan %(month)s is due: check the draft %(number)s")
            % {"month": event.month, "number": plan.number},
        )


def on_campaign_submitted(event: CampaignSubmitted) -> None:
    plan = _plan(event.campaign_id)
    if plan is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=_approvers(),
            kind=event.name,
            link=reverse("visits:plan", args=[plan.pk]),
            exclude_id=event.submitted_by_id,
            title=_("Visit plan %(number)s waits for your approval") % {"number": plan.number},
        )


def on_campaign_decided(event: CampaignDecided) -> None:
    plan = _plan(event.campaign_id)
    if plan is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("Visit plan %(number)s was approved")
            if event.state == CampaignState.APPROVED
            else _("Visit plan %(number)s was returned: %(note)s")
        ) % {"number": plan.number, "note": plan.decision_note}
        notify(
            recipient_ids=[event.drafted_by_id],
            kind=event.name,
            link=reverse("visits:plan", args=[plan.pk]),
            exclude_id=event.decided_by_id,
            title=title,
        )


def _work_order(work_order_id: int) -> WorkOrder | None:
    return WorkOrder.objects.select_related("customer").filter(pk=work_order_id).first()


def on_work_order_assigned(event: WorkOrderAssigned) -> None:
    order = _work_order(event.work_order_id)
    if order is None or order.technician_id != event.technician_id:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=[event.technician_id],
            kind=event.name,
            link=reverse("dispatch:mobile", args=[order.pk]),
            exclude_id=event.assigned_by_id,
            title=_("Work order %(number)s for you: %(customer)s, %(time)s")
            % {
                "number": order.number,
                "customer": order.customer.name,
                "time": f"{timezone.localtime(order.appointment_start):%m-%d %H:%M}",
            },
        )


def on_work_order_late(event: WorkOrderLate) -> None:
    """Like a ticket's breached limit: the technician and those who assign work are told."""
    order = _work_order(event.work_order_id)
    if order is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("%(number)s: the technician has not arrived and the appointment has passed")
            if event.limit == "arrival"
            else _("%(number)s: the work is not done and its time limit has passed")
        ) % {"number": order.number}
        notify(
            recipient_ids=[event.technician_id, *supervisors_to_escalate_to()],
            kind=event.name,
            link=reverse("dispatch:detail", args=[order.pk]),
            title=title,
        )


def _inspection_link(event: ReviewDone | ReviewAppealed | AppealDecided) -> str:
    """The check the review event is of (looked up by its chat for an event queued before the
    events named the check)."""
    from kefu.quality.models import Inspection

    inspection_id = event.inspection_id
    if inspection_id is None and event.conversation_id is not None:
        inspection_id = (
            Inspection.objects.filter(conversation_id=event.conversation_id)
            .values_list("pk", flat=True)
            .first()
        )
    return reverse("quality:inspection", args=[inspection_id]) if inspection_id else ""


def is_severe(event: ConversationChecked | CallChecked) -> bool:
    return event.severe


def _tell_supervisors_of_forbidden_words(
    event: ConversationChecked | CallChecked, title: str, record_id: int | None
) -> None:
    """The supervisors who take escalations hear of a severe finding at once (seed 002: 服务禁语)."""
    # No agent (nobody served it): nothing to look up, the title shows "—".
    agent = User.objects.filter(pk=event.agent_id).first() if event.agent_id is not None else None
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=supervisors_to_escalate_to(),
            kind=event.name,
            link=reverse("quality:inspection", args=[event.inspection_id]),
            exclude_id=event.agent_id,
            title=_(title) % {"id": record_id, "agent": agent or "—"},
        )


def on_severe_finding(event: ConversationChecked) -> None:
    """A forbidden word in a closed conversation."""
    _tell_supervisors_of_forbidden_words(
        event, gettext_noop("Forbidden words in chat #%(id)s of %(agent)s"), event.conversation_id
    )


def on_severe_call(event: CallChecked) -> None:
    """A forbidden word in a recorded call's notes: told as a chat's (the agent hears of it with
    the review, once the check is theirs to see)."""
    _tell_supervisors_of_forbidden_words(
        event, gettext_noop("Forbidden words in call #%(id)s of %(agent)s"), event.call_id
    )


def _is_call(event: ReviewDone | ReviewAppealed | AppealDecided) -> bool:
    return event.conversation_id is None and event.call_id is not None


def _checked_id(event: ReviewDone | ReviewAppealed | AppealDecided) -> int | None:
    return event.call_id if _is_call(event) else event.conversation_id


def on_reviewed(event: ReviewDone) -> None:
    """The agent is told their chat or call was scored (the check opens to them now)."""
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("Call #%(id)s was reviewed: %(score)d points")
            if _is_call(event)
            else _("Chat #%(id)s was reviewed: %(score)d points")
        )
        notify(
            recipient_ids=[event.agent_id],
            kind=event.name,
            link=_inspection_link(event),
            exclude_id=event.reviewer_id,
            title=title % {"id": _checked_id(event), "score": event.score},
        )


def on_appealed(event: ReviewAppealed) -> None:
    """An agent's appeal waits for a supervisor's decision (考核权)."""
    roles = [
        role
        for role, perms in ROLE_PERMISSIONS.items()
        if Perm.EVALUATE in perms and role != Role.ADMINISTRATOR
    ]
    deciders = User.objects.filter(role__in=roles, is_active=True).values_list("pk", flat=True)
    agent = User.objects.filter(pk=event.agent_id).first()
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("%(agent)s appeals the review of call #%(id)s")
            if _is_call(event)
            else _("%(agent)s appeals the review of chat #%(id)s")
        )
        notify(
            recipient_ids=list(deciders),
            kind=event.name,
            link=_inspection_link(event),
            exclude_id=event.agent_id,
            title=title % {"agent": agent or "—", "id": _checked_id(event)},
        )


def on_appeal_decided(event: AppealDecided) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if _is_call(event):
            title = (
                _("Your appeal on call #%(id)s was turned down: %(score)d points")
                if event.upheld
                else _("Your appeal on call #%(id)s changed the score to %(score)d points")
            )
        else:
            title = (
                _("Your appeal on chat #%(id)s was turned down: %(score)d points")
                if event.upheld
                else _("Your appeal on chat #%(id)s changed the score to %(score)d points")
            )
        notify(
            recipient_ids=[event.agent_id],
            kind=event.name,
            link=_inspection_link(event),
            exclude_id=event.decided_by_id,
            title=title % {"id": _checked_id(event), "score": event.final_score},
        )


def on_problem_opened(event: ProblemOpened) -> None:
    """提交开发部门: a new problem from the customers reaches the development department."""
    problem = Problem.objects.filter(pk=event.problem_id).first()
    if problem is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipient_ids=list(developers().values_list("pk", flat=True)),
            kind=event.name,
            link=reverse("feedback:problem", args=[problem.pk]),
            exclude_id=event.opened_by_id,
            title=_("New problem from the customers (%(severity)s): %(title)s")
            % {"severity": problem.get_severity_display(), "title": problem.title},
        )


def on_message_flagged(event: MessageFlagged) -> None:
    """An angry or urgent customer (anger words, 12315, a bad-review threat, the same complaint
    again): the supervisors who take escalations hear of it at once, and the agent serving."""
    with translation.override(settings.LANGUAGE_CODE):
        reasons = "、".join(str(REASON_LABELS.get(r, r)) for r in event.reasons.split(",") if r)
        notify(
            recipient_ids=[*supervisors_to_escalate_to(), event.assignee_id],
            kind=event.name,
            link=f"{reverse('conversations:workspace')}?c={event.conversation_id}",
            title=_("Chat #%(id)s needs attention (%(reasons)s): %(excerpt)s")
            % {"id": event.conversation_id, "reasons": reasons, "excerpt": event.excerpt[:80]},
        )


def register() -> None:
    from kefu.notifications import visit_subscribers

    visit_subscribers.register()
    subscribe(
        ConversationChecked,
        f"{__name__}.on_severe_finding",
        mode=Delivery.TASK,
        when=is_severe,
    )
    subscribe(CallChecked, f"{__name__}.on_severe_call", mode=Delivery.TASK, when=is_severe)
    subscribe(TicketCreated, f"{__name__}.on_urgent_ticket", mode=Delivery.TASK, when=is_urgent)
    subscribe(
        TicketFieldsChanged, f"{__name__}.on_raised_to_urgent", mode=Delivery.TASK, when=is_raised
    )
    subscribe(
        EmailReplyStateChanged,
        f"{__name__}.on_email_reply_failed",
        mode=Delivery.TASK,
        when=is_failed_reply,
    )
    for event_type, handler in [
        (TicketAssigned, on_assigned),
        (TicketRouted, on_routed),
        (TicketHandlerChanged, on_handler_changed),
        (PlanApprovalRequested, on_plan_approval_requested),
        (TicketSlaWarning, on_sla_warning),
        (TicketSlaBreached, on_sla_breached),
        (ContactOverdue, on_contact_overdue),
        (SheetSubmitted, on_sheet_submitted),
        (SheetDecided, on_sheet_decided),
        (ReviewDone, on_reviewed),
        (ReviewAppealed, on_appealed),
        (AppealDecided, on_appeal_decided),
        (CustomerAssignmentRequested, on_assignment_requested),
        (PlanReminderDue, on_plan_reminder_due),
        (CampaignSubmitted, on_campaign_submitted),
        (CampaignDecided, on_campaign_decided),
        (WorkOrderAssigned, on_work_order_assigned),
        (WorkOrderLate, on_work_order_late),
        (ProblemOpened, on_problem_opened),
        (MessageFlagged, on_message_flagged),
    ]:
        subscribe(event_type, f"{__name__}.{handler.__name__}", mode=Delivery.TASK)
