"""What return visits do when other apps change things: a closed complaint gets its visit, a
finished work order its 派工回访, and a closed ticket, chat or recorded visit its survey."""

from kefu.conversations.events import ConversationClosed
from kefu.core.events import Delivery, subscribe
from kefu.dispatch.events import WorkOrderProgressed
from kefu.dispatch.models import WorkOrderState
from kefu.orders.events import OrderRecorded
from kefu.orders.models import FulfilmentState
from kefu.tickets.events import TicketTransitioned
from kefu.tickets.states import TicketState
from kefu.visits.events import VisitRecorded
from kefu.visits.models import SurveyTrigger


def is_closing(event: TicketTransitioned) -> bool:
    return event.to_state == TicketState.CLOSED


def on_ticket_closed(event: TicketTransitioned) -> None:
    from kefu.visits.services import create_complaint_visit

    create_complaint_visit(ticket_id=event.ticket_id)


def on_ticket_closed_survey(event: TicketTransitioned) -> None:
    from kefu.tickets.models import Ticket
    from kefu.visits.services import surveys

    survey = surveys.survey_for(SurveyTrigger.TICKET)
    ticket = Ticket.objects.filter(pk=event.ticket_id).first()
    if survey is None or ticket is None or ticket.customer_id is None:
        return
    surveys.invite(
        survey_id=survey.pk,
        customer_id=ticket.customer_id,
        source=SurveyTrigger.TICKET,
        source_id=ticket.pk,
        agent_id=ticket.assignee_id,
    )


def on_conversation_closed(event: ConversationClosed) -> None:
    from kefu.conversations.models import Conversation
    from kefu.visits.services import surveys

    survey = surveys.survey_for(SurveyTrigger.CONVERSATION)
    conversation = Conversation.objects.filter(pk=event.conversation_id).first()
    if survey is None or conversation is None or conversation.customer_id is None:
        return
    surveys.invite(
        survey_id=survey.pk,
        customer_id=conversation.customer_id,
        source=SurveyTrigger.CONVERSATION,
        source_id=conversation.pk,
        agent_id=event.assignee_id,
    )


def is_reached(event: VisitRecorded) -> bool:
    return event.reached


def on_visit_recorded(event: VisitRecorded) -> None:
    from kefu.visits.services import surveys

    survey = surveys.survey_for(SurveyTrigger.VISIT)
    if survey is None:
        return
    surveys.invite(
        survey_id=survey.pk,
        customer_id=event.customer_id,
        source=SurveyTrigger.VISIT,
        source_id=event.visit_id,
        agent_id=event.agent_id,
    )


def is_done(event: WorkOrderProgressed) -> bool:
    return event.state == WorkOrderState.DONE


def on_work_order_done(event: WorkOrderProgressed) -> None:
    from kefu.visits.services import create_dispatch_visit

    create_dispatch_visit(work_order_id=event.work_order_id)


def is_received(event: OrderRecorded) -> bool:
    return event.state == FulfilmentState.RECEIVED and event.customer_id is not None


def on_order_received(event: OrderRecorded) -> None:
    from django.utils import timezone

    from kefu.visits.services import care

    if event.customer_id is not None:
        care.schedule_after_purchase(customer_id=event.customer_id, received_at=timezone.now())


def register() -> None:
    subscribe(
        TicketTransitioned,
        f"{__name__}.on_ticket_closed",
        mode=Delivery.TASK,
        when=is_closing,
    )
    subscribe(
        TicketTransitioned,
        f"{__name__}.on_ticket_closed_survey",
        mode=Delivery.TASK,
        when=is_closing,
    )
    subscribe(ConversationClosed, f"{__name__}.on_conversation_closed", mode=Delivery.TASK)
    subscribe(VisitRecorded, f"{__name__}.on_visit_recorded", mode=Delivery.TASK, when=is_reached)
    subscribe(
        WorkOrderProgressed, f"{__name__}.on_work_order_done", mode=Delivery.TASK, when=is_done
    )
    subscribe(OrderRecorded, f"{__name__}.on_order_received", mode=Delivery.TASK, when=is_received)
