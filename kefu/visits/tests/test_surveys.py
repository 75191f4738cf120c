"""Satisfaction surveys 满意度调查: the form, the invitation after a closed ticket or a recorded visit
(an SMS link, never in quiet hours), the public page (no sign-in, signed, expiring, answered once),
the results by agent and team, the follow-up of a low score, the pages and API by role.

Events asserted here: SurveyAnswered."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from conftest import HOSTILE_CONTROL_STRINGS, HOSTILE_STRINGS
from kefu.accounts.roles import Role
from kefu.core.errors import DomainError
from kefu.core.events import EVENT_TYPES, Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.customers.models import Customer
from kefu.notifications.models import Notification
from kefu.sms.models import SmsMessage, SmsTemplate
from kefu.tickets.events import TicketTransitioned
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from kefu.visits import subscribers
from kefu.visits.models import (
    FollowUp,
    ReturnVisit,
    SurveyAnswer,
    SurveyInvitation,
    SurveyTrigger,
    VisitRules,
    VisitSource,
)
from kefu.visits.services import surveys
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
QUESTIONS = "score: 您对本次服务满意吗？\nchoice: 问题解决了吗？ | 已解决 | 未解决\ntext: 您的建议"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args).replace(tzinfo=SH)  # type: ignore[arg-type]


@pytest.fixture
def people(make_user):
    class P:
        pass

    p = P()
    p.supervisor = make_user(Role.SUPERVISOR)
    p.agent = make_user(Role.AGENT, display_name="小王")
    p.team = TeamFactory(name="一组")
    p.agent.agent_profile.teams.add(p.team)
    p.customer = Customer.objects.create(name="张三", mobile="+8613800138000", owner=p.agent)
    SmsTemplate.objects.create(code="survey", name="满意度调查", body="{name}您好，请评价：{link}")
    return p


@pytest.fixture
def no_quiet_hours():
    """The subscribers invite at the real clock: with the default quiet hours (12–14, 21–09 Beijing)
    the SMS would wait whenever the suite happens to run then (it did in CI at 12:10)."""
    VisitRules.objects.update_or_create(pk=1, defaults={"quiet_hours": []})


def make_survey(actor, **kwargs):
    kwargs.setdefault("questions", QUESTIONS)
    return surveys.create_survey(actor=actor, title="服务满意度", **kwargs)


def invited(people, survey, *, now=None, source=SurveyTrigger.MANUAL, source_id=None):
    return surveys.invite(
        survey_id=survey.pk,
        customer_id=people.customer.pk,
        source=source,
        source_id=source_id,
        agent_id=people.agent.pk,
        now=now,
    )


def answers_for(survey, score="5", choice="已解决", text=""):
    qs = list(survey.questions.all())
    return {str(qs[0].pk): score, str(qs[1].pk): choice, str(qs[2].pk): text}


def test_a_survey_is_made_from_one_question_a_line(people):
    survey = make_survey(people.supervisor)
    assert [(q.kind, q.text, q.choices, q.required) for q in survey.questions.all()] == [
        ("score", "您对本次服务满意吗？", [], True),
        ("choice", "问题解决了吗？", ["已解决", "未解决"], True),
        ("text", "您的建议", [], False),
    ]


@pytest.mark.parametrize(
    "text",
    ["", "question without kind", "choice: 只有一个 | 选项", "text: 只有文字"],
)
def test_a_survey_form_that_makes_no_sense_is_refused(people, text):
    with pytest.raises(DomainError):
        make_survey(people.supervisor, questions=text)
    assert not SurveyInvitation.objects.exists()


def test_an_agent_may_not_make_surveys(people):
    with pytest.raises(DomainError):
        make_survey(people.agent)


def test_a_closed_ticket_sends_the_survey_link_by_sms_once(
    people, no_quiet_hours, django_capture_on_commit_callbacks
):
    survey = make_survey(people.supervisor, trigger=SurveyTrigger.TICKET)
    ticket = create_ticket(
        actor=people.agent,
        type=TicketType.CONSULTATION,
        subject="咨询",
        customer_id=people.customer.pk,
        assignee_id=people.agent.pk,
    )
    event = TicketTransitioned(
        ticket_id=ticket.pk,
        transition="close",
        from_state="resolved",
        to_state="closed",
        actor_id=people.agent.pk,
        version=2,
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscribers.on_ticket_closed_survey(event)
        subscribers.on_ticket_closed_survey(event)  # delivered twice: still one invitation
    invitation = SurveyInvitation.objects.get()
    assert (invitation.survey, invitation.source, invitation.source_id) == (
        survey,
        "ticket",
        ticket.pk,
    )
    assert (invitation.agent, invitation.team) == (people.agent, people.team)
    sms = SmsMessage.objects.get()
    assert sms.template_code == "survey"
    assert invitation.sms_id == sms.pk
    assert f"/survey/{surveys.token_for(invitation)}/" in sms.params["link"]
    assert Ticket.objects.count() == 1


def test_no_survey_sms_in_quiet_hours(people, django_capture_on_commit_callbacks):
    survey = make_survey(people.supervisor)
    # Tomorrow evening by the real clock: the SMS is queued for the morning after, and the task queue
    # runs a task at once when its time has passed (a fixed 2026-12-07 22:30 failed from 12-08 09:00).
    evening = timezone.localtime().replace(hour=22, minute=30) + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invited(people, survey, now=evening)
    assert invitation is not None
    assert not SmsMessage.objects.exists()  # queued for 09:00 the next morning


def test_a_customer_without_a_mobile_gets_the_survey_link_by_e_mail(
    people, django_capture_on_commit_callbacks, mailoutbox, no_quiet_hours, client
):
    Customer.objects.filter(pk=people.customer.pk).update(mobile="", email="zhang@example.com")
    survey = make_survey(people.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invited(people, survey)
    assert invitation is not None
    invitation.refresh_from_db()
    assert (invitation.channel, invitation.send_error) == ("email", "")
    assert invitation.emailed_at is not None
    assert not SmsMessage.objects.exists()
    [mail] = mailoutbox
    link = surveys.answer_url(invitation)
    assert (mail.to, mail.subject) == (["zhang@example.com"], "服务满意度")
    assert link in mail.body and mail.body.startswith("张三，您好")
    assert client.get("/survey/" + link.rsplit("/survey/", 1)[1]).status_code == 200
    surveys.send_survey_sms(invitation_id=invitation.pk)
    assert len(mailoutbox) == 1  # never twice


def test_the_customer_answers_on_the_public_page_once(people):
    survey = make_survey(people.supervisor)
    invitation = invited(people, survey)
    url = f"/survey/{surveys.token_for(invitation)}/"
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "服务满意度" in body and "您对本次服务满意吗？" in body and "已解决" in body
    done = anonymous.post(url, answers_for(survey, score="4", text="很好"))
    assert done.status_code == 200
    assert "感谢您的评价" in done.content.decode()
    answer = SurveyAnswer.objects.get()
    assert answer.score == 4
    assert list(answer.answers.values()) == [4, "已解决", "很好"]
    again = anonymous.post(url, answers_for(survey, score="1"))
    assert again.status_code == 409
    assert "已经提交过" in again.content.decode()
    assert SurveyAnswer.objects.count() == 1
    assert SurveyAnswer.objects.get().score == 4
    entry = TimelineEntry.objects.get(kind="visits.survey_answered")
    assert entry.customer_id == people.customer.pk


def test_a_missing_score_is_asked_for_and_nothing_is_stored(people):
    survey = make_survey(people.supervisor)
    url = f"/survey/{surveys.token_for(invited(people, survey))}/"
    page = Client().post(url, answers_for(survey, score=""))
    assert page.status_code == 400
    assert "请回答" in page.content.decode()
    bad = Client().post(url, answers_for(survey, score="9"))
    assert bad.status_code == 400
    assert not SurveyAnswer.objects.exists()
    assert SurveyInvitation.objects.get().answered_at is None


def test_a_tampered_or_expired_link_is_refused(people):
    survey = make_survey(people.supervisor, valid_days=3)
    invitation = invited(people, survey, now=timezone.now() - dt.timedelta(days=4))
    token = surveys.token_for(invitation)
    expired = Client().get(f"/survey/{token}/")
    assert expired.status_code == 410
    assert "已过期" in expired.content.decode()
    assert Client().post(f"/survey/{token}/", answers_for(survey)).status_code == 410
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert Client().get(f"/survey/{tampered}/").status_code == 404
    assert Client().get("/survey/1/").status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_a_low_score_opens_a_follow_up_visit_and_emits_the_event(
    people, django_capture_on_commit_callbacks
):
    survey = make_survey(people.supervisor, low_score=2, follow_up=FollowUp.VISIT)
    invitation = invited(people, survey, source=SurveyTrigger.VISIT, source_id=77)
    got: list = []
    subscribe(EVENT_TYPES["visits.survey_answered"], got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            answer = surveys.answer_survey(
                token=surveys.token_for(invitation), answers=answers_for(survey, score="2")
            )
        assert got == []  # after commit only
        for callback in callbacks:
            callback()
    finally:
        unsubscribe(EVENT_TYPES["visits.survey_answered"], got.append)
    visit = ReturnVisit.objects.get()
    assert (visit.source, visit.assignee, visit.customer) == (
        VisitSource.SURVEY,
        people.agent,
        people.customer,
    )
    assert len(got) == 1
    event = got[0]
    assert (event.answer_id, event.invitation_id, event.survey_id, event.customer_id) == (
        answer.pk,
        invitation.pk,
        survey.pk,
        people.customer.pk,
    )
    assert (event.agent_id, event.team_id, event.source, event.source_id) == (
        people.agent.pk,
        people.team.pk,
        "visit",
        77,
    )
    assert (event.score, event.low, event.follow_up_visit_id) == (2, True, visit.pk)
    assert Notification.objects.filter(
        recipient=people.agent, kind="visits.survey_answered"
    ).exists()


def test_a_low_score_with_a_notice_follow_up_tells_the_supervisors(
    people, django_capture_on_commit_callbacks
):
    survey = make_survey(people.supervisor, follow_up=FollowUp.NOTIFY)
    invitation = invited(people, survey)
    with django_capture_on_commit_callbacks(execute=True):
        surveys.answer_survey(
            token=surveys.token_for(invitation), answers=answers_for(survey, score="1")
        )
    assert not ReturnVisit.objects.exists()
    notice = Notification.objects.get(kind="visits.survey_answered")
    assert notice.recipient == people.supervisor
    assert notice.title == "满意度调查“服务满意度”出现低分 1"


def test_a_good_score_makes_no_follow_up(people):
    survey = make_survey(people.supervisor)
    surveys.answer_survey(
        token=surveys.token_for(invited(people, survey)), answers=answers_for(survey, score="5")
    )
    assert not ReturnVisit.objects.exists()
    assert not Notification.objects.filter(kind="visits.survey_answered").exists()


def test_results_by_agent_and_team_and_hostile_answers_shown_as_text(people, client_for):
    survey = make_survey(people.supervisor)
    for score, text in [("5", HOSTILE_STRINGS[0]), ("3", HOSTILE_STRINGS[1]), ("1", "")]:
        surveys.answer_survey(
            token=surveys.token_for(
                surveys.invite(
                    survey_id=survey.pk,
                    customer_id=people.customer.pk,
                    source=SurveyTrigger.MANUAL,
                    agent_id=people.agent.pk,
                )
            ),
            answers=answers_for(survey, score=score, text=text),
        )
    client, _user = client_for(Role.SUPERVISOR)
    page = client.get(f"/visits/surveys/{survey.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>alert('x')</script>" not in body
    assert html.escape(HOSTILE_STRINGS[0]) in body
    assert "<img src=x" not in body
    assert 'data-testid="average">3.00<' in body
    by_agent = body.split('data-testid="by-agent"')[1].split("</table>")[0]
    assert "小王" in by_agent and ">3<" in by_agent and "3.00" in by_agent
    assert "一组" in body.split('data-testid="by-team"')[1].split("</table>")[0]
    api = client.get(f"/api/v1/visits/surveys/{survey.pk}/results").json()
    assert (api["invited"], api["answers"], api["average"], api["low"]) == (3, 3, 3.0, 1)
    assert api["distribution"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 1}
    assert api["per_agent"] == [
        {"id": people.agent.pk, "name": "小王", "answers": 3, "average": 3.0, "low": 1}
    ]
    answers = client.get(f"/api/v1/visits/surveys/{survey.pk}/answers").json()["items"]
    assert answers[-1]["answers"][str(survey.questions.last().pk)] == HOSTILE_STRINGS[0]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.AGENT, 403),
        (Role.SUPERVISOR, 200),
        (Role.MANAGER, 200),
        (Role.INSPECTOR, 403),
        (Role.DEPARTMENT_STAFF, 403),
    ],
)
def test_who_opens_the_survey_pages_and_api(people, client_for, role, status):
    survey = make_survey(people.supervisor)
    client, _user = client_for(role)
    assert client.get("/visits/surveys/").status_code == status
    assert client.get(f"/visits/surveys/{survey.pk}/").status_code == status
    assert client.get(f"/api/v1/visits/surveys/{survey.pk}/results").status_code == status
    missing = 404 if status == 200 else status
    assert client.get(f"/visits/surveys/{survey.pk + 99}/").status_code == missing
    assert client.get(f"/api/v1/visits/surveys/{survey.pk + 99}/results").status_code == missing


def test_a_supervisor_makes_a_survey_and_sends_it_by_hand(people, client_for):
    client, _user = client_for(Role.SUPERVISOR)
    refused = client.post(
        "/visits/surveys/new/",
        {
            "title": "t",
            "trigger": "manual",
            "channel": "sms",
            "valid_days": 7,
            "low_score": 2,
            "follow_up": "visit",
            "questions": "text: 只有文字",
        },
    )
    assert refused.status_code == 400
    made = client.post(
        "/visits/surveys/new/",
        {
            "title": "回访满意度",
            "trigger": "visit",
            "channel": "sms",
            "valid_days": 7,
            "low_score": 2,
            "follow_up": "visit",
            "questions": QUESTIONS,
        },
    )
    assert made.status_code == 302
    survey_id = int(made["Location"].rstrip("/").split("/")[-1])
    sent = client.post(f"/visits/surveys/{survey_id}/send/", {"customer": people.customer.pk})
    assert sent.status_code == 302
    invitation = SurveyInvitation.objects.get()
    assert (invitation.customer, invitation.agent, invitation.source) == (
        people.customer,
        people.agent,  # the customer's owner, not the supervisor who sent it
        "manual",
    )
    assert (
        client.post(f"/visits/surveys/{survey_id}/send/", {"customer": 999999}).status_code == 404
    )


@pytest.mark.parametrize("text", [*HOSTILE_STRINGS, *HOSTILE_CONTROL_STRINGS, "\x00<b>nul</b>"])
def test_every_hostile_answer_is_stored_as_text_and_shown_escaped(people, client_for, text):
    survey = make_survey(people.supervisor)
    url = f"/survey/{surveys.token_for(invited(people, survey))}/"
    assert Client().post(url, answers_for(survey, text=text)).status_code == 200
    stored = SurveyAnswer.objects.get().answers[str(survey.questions.last().pk)]
    assert "\x00" not in stored and "\x01" not in stored
    client, _user = client_for(Role.SUPERVISOR)
    page = client.get(f"/visits/surveys/{survey.pk}/")
    assert page.status_code == 200
    answers = page.content.decode().split('data-testid="answers"')[1].split("</ul>")[0]
    assert "<script>" not in answers and "<img" not in answers and "<b>" not in answers


# --- NPS 0–10 and multiple choice (issue 12.7) ------------------------------------------------------

MIXED = (
    "score: 您对本次服务满意吗？\n"
    "nps: 您有多大可能向朋友推荐我们？\n"
    "multiple: 哪些方面让您满意？ | 态度 | 速度 | 价格\n"
    "text: 您的建议"
)


def mixed_answers(survey, *, score="4", nps="10", ticked=("态度",), text=""):
    qs = list(survey.questions.all())
    return {
        str(qs[0].pk): score,
        str(qs[1].pk): nps,
        str(qs[2].pk): list(ticked),
        str(qs[3].pk): text,
    }


def test_nps_and_multiple_choice_are_answered_on_the_page_and_counted(people, client_for):
    survey = make_survey(people.supervisor, questions=MIXED)
    assert [(q.kind, q.choices) for q in survey.questions.all()] == [
        ("score", []),
        ("nps", []),
        ("multiple", ["态度", "速度", "价格"]),
        ("text", []),
    ]
    url = f"/survey/{surveys.token_for(invited(people, survey))}/"
    page = Client().get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'type="checkbox"' in body and 'value="价格"' in body
    assert 'value="0"' in body and 'value="10"' in body  # the eleven NPS buttons
    done = Client().post(url, mixed_answers(survey, nps="9", ticked=("价格", "态度")))
    assert done.status_code == 200
    answer = SurveyAnswer.objects.get()
    assert answer.score == 4  # the 1–5 question's, not the NPS
    assert list(answer.answers.values()) == [4, 9, ["态度", "价格"]]  # in the answers' order
    for nps in ("10", "7", "3"):
        surveys.answer_survey(
            token=surveys.token_for(invited(people, survey)),
            answers=mixed_answers(survey, nps=nps, ticked=("速度",)),
        )

    client, _user = client_for(Role.SUPERVISOR)
    results = client.get(f"/visits/surveys/{survey.pk}/").content.decode()
    # promoters 9 and 10, a passive 7, a detractor 3: (2 - 1) / 4 = 25
    assert 'data-testid="nps">25<' in results
    assert "推荐者 2" in results and "中立者 1" in results and "贬损者 1" in results
    assert "态度、价格" in results
    api = client.get(f"/api/v1/visits/surveys/{survey.pk}/results").json()
    assert api["nps"] == {
        "question": "您有多大可能向朋友推荐我们？",
        "answered": 4,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
        "score": 25,
    }
    items = client.get(f"/api/v1/visits/surveys/{survey.pk}/answers").json()["items"]
    assert items[-1]["answers"][str(survey.questions.all()[2].pk)] == ["态度", "价格"]


def test_a_survey_without_nps_has_no_nps_figure(people, client_for):
    survey = make_survey(people.supervisor)
    client, _user = client_for(Role.SUPERVISOR)
    assert client.get(f"/api/v1/visits/surveys/{survey.pk}/results").json()["nps"] is None
    assert 'data-testid="nps"' not in client.get(f"/visits/surveys/{survey.pk}/").content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"nps": "11"},
        {"nps": "-1"},
        {"nps": "5.5"},
        {"nps": ""},
        {"ticked": ()},  # a multiple choice must be answered
        {"ticked": ("态度", "<script>alert(1)</script>")},  # not one of its answers
        {"ticked": ("态度\u0000",)},
    ],
)
def test_a_wrong_nps_or_multiple_answer_is_refused_and_nothing_stored(people, bad):
    survey = make_survey(people.supervisor, questions=MIXED)
    url = f"/survey/{surveys.token_for(invited(people, survey))}/"
    page = Client().post(url, mixed_answers(survey, **bad))
    if bad.get("ticked") == ("态度\u0000",):
        # the control character is stripped: the answer is 态度 and accepted
        assert page.status_code == 200
        assert list(SurveyAnswer.objects.get().answers.values())[2] == ["态度"]
        return
    assert page.status_code == 400
    body = page.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert not SurveyAnswer.objects.exists()
    assert SurveyInvitation.objects.get().answered_at is None


@pytest.mark.parametrize(
    "text", ["multiple: 只有一个 | 选项", "multiple: | 态度 | 速度", "nps:", "stars: 几颗星"]
)
def test_a_multiple_choice_needs_two_answers_and_every_line_a_known_kind(people, text):
    with pytest.raises(DomainError):
        make_survey(people.supervisor, questions=f"score: 满意吗\n{text}")
    assert not SurveyInvitation.objects.exists()


def test_results_by_channel_month_and_ticket_category(people, client_for):
    """Answers after a ticket (with its category), after a chat and sent by hand, in two months;
    07:30 on 1 December in Beijing is still 30 November in UTC and counts for December."""
    from kefu.tickets.models import TicketCategory

    survey = make_survey(people.supervisor)
    parking = TicketCategory.objects.create(name="停车收费")
    ticket = create_ticket(
        actor=people.agent,
        type=TicketType.COMPLAINT,
        subject="多扣费",
        customer_id=people.customer.pk,
    )
    Ticket.objects.filter(pk=ticket.pk).update(category=parking)

    def answered(score, *, source, source_id=None, on):
        invitation = surveys.invite(
            survey_id=survey.pk,
            customer_id=people.customer.pk,
            source=source,
            source_id=source_id,
            agent_id=people.agent.pk,
            now=on - dt.timedelta(hours=1),
        )
        surveys.answer_survey(
            token=surveys.token_for(invitation), answers=answers_for(survey, score=score), now=on
        )

    answered("2", source=SurveyTrigger.TICKET, source_id=ticket.pk, on=at(2026, 11, 30, 20))
    answered("4", source=SurveyTrigger.CONVERSATION, source_id=ticket.pk, on=at(2026, 12, 1, 7, 30))
    answered("5", source=SurveyTrigger.MANUAL, on=at(2026, 12, 2, 10))

    client, _user = client_for(Role.SUPERVISOR)
    api = client.get(f"/api/v1/visits/surveys/{survey.pk}/results").json()
    assert api["per_month"] == [
        {"key": "2026-11", "answers": 1, "average": 2.0, "low": 1},
        {"key": "2026-12", "answers": 2, "average": 4.5, "low": 0},
    ]
    assert sorted((r["key"], r["answers"], r["average"]) for r in api["per_channel"]) == [
        ("conversation", 1, 4.0),
        ("manual", 1, 5.0),
        ("ticket", 1, 2.0),
    ]
    # the chat's source_id equals the ticket's id: it still has no category
    assert sorted((r["key"], r["answers"]) for r in api["per_category"]) == [
        ("", 2),
        ("停车收费", 1),
    ]
    page = client.get(f"/visits/surveys/{survey.pk}/").content.decode()
    by_month = page.split('data-testid="by-month"')[1].split("</table>")[0]
    assert "2026-11" in by_month and "2026-12" in by_month and "4.50" in by_month
    by_channel = page.split('data-testid="by-channel"')[1].split("</table>")[0]
    assert "工单关闭后" in by_channel and "手动发送" in by_channel
    assert "停车收费" in page.split('data-testid="by-category"')[1].split("</table>")[0]
    assert "按月" in page and "按渠道" in page and "按工单分类" in page
