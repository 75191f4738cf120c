"""Issue 14 item 7: customers' praise linked to the agent also comes from the surveys. A survey
answered with a top score (CSAT 5, NPS 9–10) and the customer's own words, about the agent who
served them, is a praise record for that agent — once per answer, through the visits'
SurveyAnswered; shown on the records page and counted where praise counts (the KPIs' facts, the
reward/penalty rules, the leaderboard)."""

import pytest
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.customers.models import Customer
from kefu.quality.kpi import facts, month_bounds
from kefu.quality.models import AgentRecord, PraiseSource, RecordKind, RuleKind
from kefu.quality.services import records, sheet_rules
from kefu.visits.models import SurveyTrigger
from kefu.visits.services import surveys

pytestmark = pytest.mark.django_db

QUESTIONS = (
    "score: 您对本次服务满意吗？\nnps: 您有多大可能向朋友推荐我们？\ntext: 您想对客服说什么？"
)


@pytest.fixture
def people(make_user):
    class P:
        pass

    p = P()
    p.supervisor = make_user(Role.SUPERVISOR)
    p.agent = make_user(Role.AGENT, display_name="小王")
    p.customer = Customer.objects.create(name="张三", mobile="+8613800138000", owner=p.agent)
    p.survey = surveys.create_survey(actor=p.supervisor, title="服务满意度", questions=QUESTIONS)
    return p


def answer(people, *, score="5", nps="7", text="", agent=True, source_id=None):
    invitation = surveys.invite(
        survey_id=people.survey.pk,
        customer_id=people.customer.pk,
        source=SurveyTrigger.TICKET if source_id else SurveyTrigger.MANUAL,
        source_id=source_id,
        agent_id=people.agent.pk if agent else None,
    )
    score_q, nps_q, text_q = people.survey.questions.all()
    return surveys.answer_survey(
        token=surveys.token_for(invitation),
        answers={str(score_q.pk): score, str(nps_q.pk): nps, str(text_q.pk): text},
    )


def test_a_top_score_with_words_praises_the_agent_once(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        given = answer(people, score="5", text="小王  耐心细致，一次就解决了")
    record = AgentRecord.objects.get()
    assert (record.kind, record.agent_id, record.source) == (
        RecordKind.PRAISE,
        people.agent.pk,
        PraiseSource.SURVEY,
    )
    assert record.words == "小王 耐心细致，一次就解决了"
    assert record.survey_answer_id == given.pk
    assert record.recorded_by_id is None
    assert record.recorded_at == given.answered_at
    # a second delivery of the same answer records nothing new
    assert records.record_survey_praise(given.pk) is None
    assert AgentRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("score", "nps", "text", "agent", "praised"),
    [
        ("4", "9", "推荐给朋友了", True, True),  # NPS 9: a promoter
        (
            "5",
            "10",
            "",
            True,
            False,
        ),  # top scores without a word of their own: a rating, not praise
        ("4", "8", "还不错", True, False),  # no top score
        ("5", "7", "很好", False, False),  # nobody served: no agent to praise
    ],
)
def test_only_a_top_score_with_words_about_an_agent_is_praise(
    people, django_capture_on_commit_callbacks, score, nps, text, agent, praised
):
    with django_capture_on_commit_callbacks(execute=True):
        answer(people, score=score, nps=nps, text=text, agent=agent)
    assert AgentRecord.objects.filter(kind=RecordKind.PRAISE).count() == (1 if praised else 0)


def test_survey_praise_is_listed_and_counted_where_praise_counts(
    people, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer(people, score="5", text="<b>态度</b>特别好")
    records.record_praise(
        actor=people.supervisor, agent_id=people.agent.pk, source="letter", words="锦旗"
    )
    page = client_for(Role.SUPERVISOR)[0].get("/quality/records/").content.decode()
    assert "&lt;b&gt;态度&lt;/b&gt;特别好" in page and "<b>态度</b>" not in page
    assert 'data-testid="from-survey"' in page
    start, end = month_bounds(timezone.localdate())
    row = facts(start=start, end=end, agent_ids=[people.agent.pk])[people.agent.pk]
    assert row.praised == 2  # the survey's and the supervisor's
    assert row.sums["praise"] == 2  # the leaderboard's and the sheets' praise measure
    rule = next(r for r in sheet_rules.rules() if r.kind == RuleKind.PRAISE)
    rule.is_active, rule.points = True, 5
    rule.save()
    lines = sheet_rules.rule_lines(start, [people.agent.pk])[people.agent.pk]
    assert next(line for line in lines if line.rule == RuleKind.PRAISE).points == 2 * 5
