"""Notices about return visits and surveys: a visit due soon or overdue (the agent; the
supervisors too once it is overdue), and a low survey score whose follow-up is a notice."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kefu.core.events import Delivery, subscribe
from kefu.notifications.services import notify
from kefu.tickets.services.sla import supervisors_to_escalate_to
from kefu.visits.events import SurveyAnswered, VisitDeadline
from kefu.visits.models import FollowUp, ReturnVisit, Survey


def on_visit_deadline(event: VisitDeadline) -> None:
    visit = ReturnVisit.objects.select_related("customer").filter(pk=event.visit_id).first()
    if visit is None:
        return
    due = parse_datetime(event.due_at)
    when = f"{timezone.localtime(due):%m-%d %H:%M}" if due else ""
    overdue = event.kind == "overdue"
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("Return visit to %(customer)s is overdue (due %(time)s)")
            if overdue
            else _("Return visit to %(customer)s is due by %(time)s")
        ) % {"customer": visit.customer.name, "time": when}
        notify(
            recipient_ids=[event.agent_id, *(supervisors_to_escalate_to() if overdue else [])],
            kind=event.name,
            link=reverse("visits:visit", args=[visit.pk]),
            title=title,
        )


def is_low_notice(event: SurveyAnswered) -> bool:
    return event.low


def on_low_score(event: SurveyAnswered) -> None:
    """A low score: the supervisors hear of it when the survey's follow-up is a notice; the agent
    gets the follow-up visit's notice when one was made."""
    survey = Survey.objects.filter(pk=event.survey_id).first()
    if survey is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Low score %(score)s in survey “%(survey)s”") % {
            "score": event.score,
            "survey": survey.title,
        }
        if survey.follow_up == FollowUp.NOTIFY:
            notify(
                recipient_ids=supervisors_to_escalate_to(),
                kind=event.name,
                link=reverse("visits:survey", args=[survey.pk]),
                title=title,
            )
        elif event.follow_up_visit_id:
            visit = ReturnVisit.objects.filter(pk=event.follow_up_visit_id).first()
            if visit is not None:
                notify(
                    recipient_ids=[visit.assignee_id],
                    kind=event.name,
                    link=reverse("visits:visit", args=[visit.pk]),
                    title=title,
                )


def register() -> None:
    subscribe(VisitDeadline, f"{__name__}.on_visit_deadline", mode=Delivery.TASK)
    subscribe(SurveyAnswered, f"{__name__}.on_low_score", mode=Delivery.TASK, when=is_low_notice)
