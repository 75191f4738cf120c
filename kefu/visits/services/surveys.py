"""Satisfaction surveys 满意度调查 (seed 002 第三篇, seed 004: 定期进行客户满意度调查和分析): the forms,
the invitations sent after a closed ticket, chat or visit (an SMS link or in the widget), the
public answer (a signed, expiring link, one answer per invitation) and the follow-up of a low score.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.events import emit
from kefu.core.text import strip_control_characters
from kefu.customers.models import Customer
from kefu.tickets.services.sla import return_visit_due
from kefu.visits import quiet, selectors
from kefu.visits.events import SurveyAnswered, SurveyOffered
from kefu.visits.models import (
    FollowUp,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyInvitation,
    SurveyQuestion,
    SurveyTrigger,
    VisitSource,
)

logger = logging.getLogger(__name__)

SALT = "kefu.visits.survey"
SMS_TEMPLATE = "survey"  # {name} {link}
MAX_ANSWER = 1000
MAX_QUESTIONS = 20


class SurveyLinkError(DomainError):
    """The link cannot be answered: `kind` is invalid (tampered or unknown), expired or answered."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _clean_line(text: str, *, limit: int) -> str:
    return " ".join(strip_control_characters(text or "").split())[:limit]


# --- the forms ------------------------------------------------------------------------------------


def parse_questions(text: str) -> list[dict[str, Any]]:
    """One question a line: `score: 服务态度` (1–5), `nps: 您会推荐我们吗` (0–10),
    `choice: 渠道 | 电话 | 微信` (one answer), `multiple: 哪些方面 | 态度 | 速度` (any of them),
    `text: 建议` (a text question may be left empty; the others must be answered)."""
    questions: list[dict[str, Any]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        kind, sep, rest = line.partition(":")
        if not sep:
            kind, sep, rest = line.partition("：")
        kind = kind.strip().lower()
        if not sep or kind not in QuestionKind.values:
            raise DomainError(
                _("Line %(n)d: start with score:, nps:, choice:, multiple: or text:.")
                % {"n": number}
            )
        parts = [_clean_line(p, limit=200) for p in rest.split("|")]
        question, choices = parts[0], [p for p in parts[1:] if p]
        if not question:
            raise DomainError(_("Line %(n)d: write the question.") % {"n": number})
        with_choices = kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE)
        if with_choices and len(choices) < 2:
            raise DomainError(
                _("Line %(n)d: a choice question needs at least two answers, split by |.")
                % {"n": number}
            )
        questions.append(
            {
                "kind": kind,
                "text": question,
                "choices": choices if with_choices else [],
                "required": kind != QuestionKind.TEXT,
            }
        )
    if not questions:
        raise DomainError(_("Add at least one question."))
    if len(questions) > MAX_QUESTIONS:
        raise DomainError(_("A survey has at most 20 questions."))
    return questions


@transaction.atomic
def create_survey(
    *,
    actor: User,
    title: str,
    questions: str,
    intro: str = "",
    trigger: str = SurveyTrigger.MANUAL,
    channel: str = SurveyChannel.SMS,
    valid_days: int = 7,
    low_score: int = 2,
    follow_up: str = FollowUp.VISIT,
) -> Survey:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not make surveys."))
    title = _clean_line(title, limit=100)
    if not title:
        raise DomainError(_("Give the survey a title."))
    if trigger not in SurveyTrigger.values or channel not in SurveyChannel.values:
        raise DomainError(_("Choose when and how the survey is sent."))
    if follow_up not in FollowUp.values:
        raise DomainError(_("Choose the follow-up of a low score."))
    if not 1 <= valid_days <= 90:
        raise DomainError(_("A link is valid for 1 to 90 days."))
    if not 1 <= low_score <= 4:
        raise DomainError(_("The low score is from 1 to 4."))
    parsed = parse_questions(questions)
    if not any(q["kind"] == QuestionKind.SCORE for q in parsed):
        raise DomainError(_("A survey needs at least one score question (1–5)."))
    survey = Survey.objects.create(
        title=title,
        intro=_clean_line(intro, limit=300),
        trigger=trigger,
        channel=channel,
        valid_days=valid_days,
        low_score=low_score,
        follow_up=follow_up,
        created_by=actor,
    )
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(survey=survey, position=i, **q) for i, q in enumerate(parsed)
    )
    return survey


@transaction.atomic
def set_survey_active(*, actor: User, survey_id: int, active: bool) -> Survey:
    if not actor.has_perm(Perm.ASSIGN_WORK):
        raise PermissionRefused(_("Your role may not change surveys."))
    survey = Survey.objects.select_for_update().get(pk=survey_id)
    survey.active = active
    survey.save(update_fields=["active"])
    return survey


# --- invitations ----------------------------------------------------------------------------------


def token_for(invitation: SurveyInvitation) -> str:
    """The same link every time (the expiry is the invitation's own, not the signature's)."""
    return signing.Signer(salt=SALT).sign(str(invitation.pk))


def answer_url(invitation: SurveyInvitation) -> str:
    return settings.KEFU_BASE_URL.rstrip("/") + reverse(
        "survey_answer", args=[token_for(invitation)]
    )


def widget_survey_link(conversation_id: int, *, now: dt.datetime | None = None) -> str | None:
    """The link the chat widget shows after a chat ended: its survey invitation made for the
    widget, while it can still be answered; None otherwise."""
    now = now or timezone.now()
    invitation = (
        SurveyInvitation.objects.filter(
            source=SurveyTrigger.CONVERSATION,
            source_id=conversation_id,
            channel=SurveyChannel.WIDGET,
            answered_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-id")
        .first()
    )
    return answer_url(invitation) if invitation is not None else None


def survey_for(trigger: str) -> Survey | None:
    """The newest active survey sent on this trigger."""
    return Survey.objects.filter(active=True, trigger=trigger).order_by("-id").first()


def invite(
    *,
    survey_id: int,
    customer_id: int,
    source: str,
    source_id: int | None = None,
    agent_id: int | None = None,
    now: dt.datetime | None = None,
) -> SurveyInvitation | None:
    """Invite the customer once per source (a repeated event makes nothing new). An SMS invitation
    is sent after commit, outside quiet hours (queued until they end)."""
    now = now or timezone.now()
    survey = Survey.objects.filter(pk=survey_id).first()
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if survey is None or customer is None:
        return None
    channel = survey.channel
    if channel == SurveyChannel.SMS and not customer.mobile and customer.email:
        channel = SurveyChannel.EMAIL  # no mobile: the link goes to the e-mail address
    agent = User.objects.filter(pk=agent_id).first() if agent_id else None
    team = Team.objects.filter(agents__user=agent).order_by("id").first() if agent else None
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                survey=survey,
                customer=customer,
                agent=agent,
                team=team,
                source=source,
                source_id=source_id,
                channel=channel,
                expires_at=now + dt.timedelta(days=survey.valid_days),
            )
    except IntegrityError:
        return None
    if invitation.channel in (SurveyChannel.SMS, SurveyChannel.EMAIL):
        windows = quiet.parse_windows(selectors.rules().quiet_hours)
        when = quiet.next_allowed(now, windows)
        transaction.on_commit(lambda: _queue_sms(invitation.pk, when=when, now=now))
    elif (
        invitation.channel == SurveyChannel.WIDGET
        and source == SurveyTrigger.CONVERSATION
        and source_id is not None
    ):
        emit(SurveyOffered(invitation_id=invitation.pk, conversation_id=source_id))
    return invitation


def _queue_sms(invitation_id: int, *, when: dt.datetime, now: dt.datetime) -> None:
    from kefu.visits.tasks import send_survey_sms_task

    if when <= now:
        send_survey_sms_task(invitation_id)
    else:
        send_survey_sms_task.schedule(args=(invitation_id,), eta=when)


def send_survey_sms(*, invitation_id: int) -> SurveyInvitation | None:
    """The SMS with the link (template `survey`: {name} {link}); a failure is kept on the invitation
    (no mobile, no template, the provider refused) rather than raised."""
    from kefu.sms.services import send_sms

    invitation = (
        SurveyInvitation.objects.select_related("customer").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.sms_id or invitation.emailed_at or invitation.answered_at:
        return invitation
    if invitation.channel == SurveyChannel.EMAIL:
        return _send_survey_email(invitation)
    customer = invitation.customer
    error = ""
    if not customer.mobile:
        error = _("This customer has no mobile number to send an SMS to.")
    else:
        try:
            result = send_sms(
                customer.mobile,
                SMS_TEMPLATE,
                {"name": customer.name[:1], "link": answer_url(invitation)},
                customer=customer,
            )
        except DomainError as refusal:
            error = refusal.message
        else:
            invitation.sms_id = result.message_id
            error = result.error
    invitation.send_error = error[:300]
    invitation.save(update_fields=["sms_id", "send_error"])
    return invitation


def _send_survey_email(invitation: SurveyInvitation) -> SurveyInvitation:
    """The link by e-mail; a failure (no address, the mail server refused) is kept on it."""
    from kefu.visits.mail import send_customer_email

    customer, error = invitation.customer, ""
    if not customer.email:
        error = _("This customer has no e-mail address to send the survey to.")
    else:
        body = _(
            "Dear %(name)s,\n\nplease tell us how we did; the survey takes a minute:\n%(link)s"
        ) % {"name": customer.name, "link": answer_url(invitation)}
        try:
            send_customer_email(customer.email, subject=invitation.survey.title, body=body)
        except DomainError as refusal:
            error = refusal.message
        else:
            invitation.emailed_at = timezone.now()
    invitation.send_error = error[:300]
    invitation.save(update_fields=["emailed_at", "send_error"])
    return invitation


# --- the answer -----------------------------------------------------------------------------------


def open_invitation(token: str, *, now: dt.datetime | None = None) -> SurveyInvitation:
    """The invitation behind a link, or SurveyLinkError saying why it cannot be answered."""
    now = now or timezone.now()
    try:
        raw = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature as error:
        raise SurveyLinkError("invalid", _("This survey link is not valid.")) from error
    invitation = (
        SurveyInvitation.objects.select_related("survey", "customer").filter(pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if invitation is None:
        raise SurveyLinkError("invalid", _("This survey link is not valid."))
    if invitation.answered_at is not None:
        raise SurveyLinkError("answered", _("This survey has already been answered. Thank you!"))
    if invitation.expires_at <= now:
        raise SurveyLinkError("expired", _("This survey link has expired."))
    return invitation


NPS_VALUES = {str(n) for n in range(11)}


def _check_answers(
    survey: Survey, raw: Mapping[str, str | list[str]]
) -> tuple[dict[str, object], int | None]:
    """Each question's answer checked against its kind (a multiple choice comes as a list, kept in
    the order of its answers); `score` is the first 1–5 score question's."""
    answers: dict[str, object] = {}
    score: int | None = None
    for question in survey.questions.all():
        key = str(question.pk)
        given = raw.get(key)
        if question.kind == QuestionKind.MULTIPLE:
            picked = given if isinstance(given, list) else [given or ""]
            ticked = {strip_control_characters(str(v)).strip() for v in picked} - {""}
            if not ticked:
                if question.required:
                    raise DomainError(
                        _("Please answer: %(question)s") % {"question": question.text}
                    )
                continue
            if not ticked <= set(question.choices):
                raise DomainError(
                    _("Choose among the answers: %(question)s") % {"question": question.text}
                )
            answers[key] = [c for c in question.choices if c in ticked]
            continue
        if isinstance(given, list):
            given = given[0] if given else ""
        value = strip_control_characters(str(given or "")).strip()
        if not value:
            if question.required:
                raise DomainError(_("Please answer: %(question)s") % {"question": question.text})
            continue
        if question.kind == QuestionKind.SCORE:
            if value not in {"1", "2", "3", "4", "5"}:
                raise DomainError(
                    _("Choose a score from 1 to 5: %(question)s") % {"question": question.text}
                )
            answers[key] = int(value)
            score = int(value) if score is None else score
        elif question.kind == QuestionKind.NPS:
            if value not in NPS_VALUES:
                raise DomainError(
                    _("Choose a score from 0 to 10: %(question)s") % {"question": question.text}
                )
            answers[key] = int(value)
        elif question.kind == QuestionKind.CHOICE:
            if value not in question.choices:
                raise DomainError(
                    _("Choose one of the answers: %(question)s") % {"question": question.text}
                )
            answers[key] = value
        else:
            answers[key] = value[:MAX_ANSWER]
    return answers, score


def _follow_up_visitor(invitation: SurveyInvitation) -> int | None:
    from kefu.visits.services import pick_visitor

    return pick_visitor(invitation.agent, invitation.customer.owner)


def answer_survey(
    *, token: str, answers: Mapping[str, str | list[str]], now: dt.datetime | None = None
) -> SurveyAnswer:
    """The customer's answer, once per invitation (a second submit, also a concurrent one, is
    refused). A score at or below the survey's low score makes its follow-up: a return visit to
    the agent who served (or the owner), or a notice to the supervisors (notifications)."""
    now = now or timezone.now()
    with transaction.atomic():
        found = open_invitation(token, now=now)
        invitation = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("survey", "customer__owner", "agent")
            .get(pk=found.pk)
        )
        if invitation.answered_at is not None:
            raise SurveyLinkError(
                "answered", _("This survey has already been answered. Thank you!")
            )
        survey = invitation.survey
        checked, score = _check_answers(survey, answers)
        try:
            with transaction.atomic():
                answer = SurveyAnswer.objects.create(
                    invitation=invitation, score=score, answers=checked, answered_at=now
                )
        except IntegrityError as error:
            raise SurveyLinkError(
                "answered", _("This survey has already been answered. Thank you!")
            ) from error
        invitation.answered_at = now
        invitation.save(update_fields=["answered_at"])
        low = score is not None and score <= survey.low_score
        visit = None
        if low and survey.follow_up == FollowUp.VISIT:
            from kefu.visits.services import phone_follow_up

            assignee_id = _follow_up_visitor(invitation)
            if assignee_id is not None:
                visit = phone_follow_up(
                    customer_id=invitation.customer_id,
                    assignee_id=assignee_id,
                    source=VisitSource.SURVEY,
                    now=now,
                    due=return_visit_due(now),
                )
        timeline.record(
            subject=answer,
            customer_id=invitation.customer_id,
            kind="visits.survey_answered",
            actor=None,
            occurred_at=now,
            summary=_("Survey “%(survey)s” answered: %(score)s")
            % {"survey": survey.title, "score": score if score is not None else "—"},
            data={"survey_id": survey.pk, "answer_id": answer.pk, "score": score},
        )
        emit(
            SurveyAnswered(
                answer_id=answer.pk,
                invitation_id=invitation.pk,
                survey_id=survey.pk,
                customer_id=invitation.customer_id,
                agent_id=invitation.agent_id,
                team_id=invitation.team_id,
                source=invitation.source,
                source_id=invitation.source_id,
                score=score,
                low=low,
                follow_up_visit_id=visit.pk if visit else None,
            )
        )
    return answer
