"""Item 2: every conversation is checked automatically when it closes (in the worker, after commit):
findings point at their messages, the score is 100 minus the weights of the faulty items, a
forbidden word alerts the supervisors at once, and words are matched as jieba cuts them."""

import pytest

from kefu.accounts.roles import Role
from kefu.notifications.models import Notification
from kefu.quality.matching import PhraseList
from kefu.quality.models import CheckKind, Inspection, Review, SampleReason
from kefu.quality.services.checks import check_conversation
from kefu.quality.tests.conftest import GOOD_CHAT, old_agent, served_chat
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_good_chat_scores_100_when_it_closes(no_random_sample):
    agent = old_agent()
    conversation, _ = served_chat(agent, GOOD_CHAT)
    inspection = Inspection.objects.get(conversation=conversation)
    assert (inspection.score, inspection.severe, inspection.agent) == (100, False, agent)
    assert not inspection.findings.exists()
    assert not Review.objects.exists()  # nothing sampled


def test_a_forbidden_word_is_found_at_its_message_and_alerts_the_supervisor(no_random_sample):
    supervisor = UserFactory(role=Role.SUPERVISOR)
    agent = old_agent(display_name="王芳")
    conversation, made = served_chat(
        agent,
        [
            ("visitor", "这个怎么用"),
            ("agent", "您好，说明书上都有，你自己看吧"),
            ("agent", "感谢您的咨询，再见"),
        ],
    )
    inspection = Inspection.objects.get(conversation=conversation)
    [finding] = inspection.findings.all()
    assert finding.kind == CheckKind.FORBIDDEN and finding.severe
    assert (finding.message_id, finding.matched) == (made[1].pk, "你自己看")
    assert inspection.severe and inspection.score == 100 - finding.points == 80
    [notice] = Notification.objects.filter(recipient=supervisor)
    assert "王芳" in notice.title and notice.link == f"/quality/checks/{inspection.pk}/"
    assert not Notification.objects.filter(recipient=agent).exists()
    assert Review.objects.get(inspection=inspection).reason == SampleReason.SEVERE


def test_missing_greeting_closing_apology_and_slow_replies_each_cost_their_weight(
    no_random_sample,
):
    agent = old_agent()
    conversation, made = served_chat(
        agent,
        [
            ("visitor", "你们发货太慢了，我要投诉"),
            ("agent", "已经在发了"),
            ("visitor", "什么时候到"),
            ("agent", "明天"),
            ("visitor", "还在吗？"),
        ],
        response_seconds={1: 300, 3: 500},
    )
    inspection = Inspection.objects.get(conversation=conversation)
    found = {f.kind: f for f in inspection.findings.all()}
    assert set(found) == {
        CheckKind.GREETING,
        CheckKind.CLOSING,
        CheckKind.APOLOGY,
        CheckKind.FIRST_RESPONSE,
        CheckKind.RESPONSE_TIME,
        CheckKind.RESOLUTION,
    }
    assert found[CheckKind.APOLOGY].message_id == made[0].pk
    assert found[CheckKind.APOLOGY].matched in {"太慢", "投诉"}
    assert found[CheckKind.FIRST_RESPONSE].message_id == made[1].pk
    assert found[CheckKind.RESPONSE_TIME].message_id == made[3].pk
    assert found[CheckKind.RESOLUTION].message_id == made[4].pk
    assert inspection.score == 100 - 10 * 6
    assert Review.objects.get(inspection=inspection).reason == SampleReason.COMPLAINT


def test_words_are_matched_as_jieba_cuts_them_not_as_substrings():
    fillers = PhraseList(["行", "啊"])
    assert [h.phrase for h in fillers.hits("行，我帮您查啊")] == ["行", "啊"]
    assert fillers.hits("银行卡不行") == []  # 行 inside other words
    forbidden = PhraseList(["滚", "你自己看"])
    assert forbidden.hits("滚动条在右边") == []
    assert [h.phrase for h in forbidden.hits("你滚")] == ["滚"]
    assert [h.phrase for h in forbidden.hits("你自己看说明书")] == ["你自己看"]
    assert PhraseList(["ok"]).first("ＯＫ，没问题") == "ok"  # full-width letters


def test_filler_words_beyond_the_limit_are_a_finding(no_random_sample):
    agent = old_agent()
    conversation, made = served_chat(
        agent,
        [*GOOD_CHAT[:2], ("agent", "嗯嗯，行啊"), ("agent", "哦，感谢您的咨询，再见")],
    )
    [finding] = Inspection.objects.get(conversation=conversation).findings.all()
    assert (
        finding.kind == CheckKind.FILLER and finding.message_id == made[2].pk
    )  # 嗯、嗯、行、啊: 4 > 3


def test_a_chat_nobody_served_is_not_checked_and_a_check_runs_once(no_random_sample):
    agent = old_agent()
    conversation, _ = served_chat(agent, GOOD_CHAT)
    first = Inspection.objects.get(conversation=conversation)
    assert check_conversation(conversation.pk) == first
    assert Inspection.objects.count() == 1


def test_a_new_agents_chats_and_low_ratings_are_sampled(no_random_sample):
    from kefu.conversations.services.lifecycle import rate_conversation

    new = old_agent()
    new.date_joined = new.date_joined.now(tz=new.date_joined.tzinfo)
    new.save()
    conversation, _ = served_chat(new, GOOD_CHAT)
    assert conversation.inspection.review.reason == SampleReason.NEW_AGENT

    agent = old_agent()
    conversation, _ = served_chat(agent, GOOD_CHAT)
    assert not Review.objects.filter(inspection__conversation=conversation).exists()
    rate_conversation(visitor=conversation.visitor, conversation=conversation, rating=1)
    assert Review.objects.get(inspection__conversation=conversation).reason == (
        SampleReason.LOW_RATING
    )


def test_the_quality_events_are_emitted_after_commit(no_random_sample):
    """ConversationChecked, ReviewDone, ReviewAppealed and AppealDecided (docs/events.md)."""
    from kefu.core.events import Delivery, subscribe, unsubscribe
    from kefu.quality.events import (
        AppealDecided,
        ConversationChecked,
        ReviewAppealed,
        ReviewDone,
    )
    from kefu.quality.services import reviews
    from kefu.quality.services.rubric import active_items

    got = []
    types = [ConversationChecked, ReviewDone, ReviewAppealed, AppealDecided]
    for t in types:
        subscribe(t, got.append, mode=Delivery.INLINE)
    try:
        agent = old_agent()
        conversation, _made = served_chat(
            agent, [("visitor", "在吗"), ("agent", "您好，滚，感谢您的咨询")]
        )
        [checked] = [e for e in got if isinstance(e, ConversationChecked)]
        inspection = conversation.inspection
        assert (checked.inspection_id, checked.agent_id, checked.severe, checked.score) == (
            inspection.pk,
            agent.pk,
            True,
            inspection.score,
        )
        review = inspection.review
        inspector = UserFactory(role=Role.INSPECTOR)
        reviews.review_conversation(
            actor=inspector,
            review_id=review.pk,
            item_points={i.pk: i.weight for i in active_items()},
            comment="",
        )
        reviews.appeal_review(actor=agent, review_id=review.pk, reason="不服")
        supervisor = UserFactory(role=Role.SUPERVISOR)
        reviews.decide_appeal(actor=supervisor, review_id=review.pk, uphold=True, note="维持")
    finally:
        for t in types:
            unsubscribe(t, got.append)
    names = [e.name for e in got]
    assert names == [
        "quality.conversation_checked",
        "quality.reviewed",
        "quality.appealed",
        "quality.appeal_decided",
    ]
    assert got[-1].upheld and got[-1].final_score == 100 and got[-1].agent_id == agent.pk


def test_an_email_conversation_is_checked_like_a_chat(no_random_sample):
    from kefu.conversations.models import ChannelKind
    from kefu.conversations.tests.conftest import make_inbox

    agent = old_agent()
    inbox = make_inbox(name="售后邮箱", kind=ChannelKind.EMAIL, allowed_origins=[])
    conversation, made = served_chat(
        agent,
        [
            ("visitor", "灯坏了，怎么办"),
            ("agent", "您好，说明书上都有，你自己看吧"),
            ("agent", "感谢您的来信，再见"),
        ],
        inbox=inbox,
    )
    inspection = Inspection.objects.get(conversation=conversation)
    assert inspection.channel == "email" and inspection.severe
    [finding] = inspection.findings.filter(kind=CheckKind.FORBIDDEN)
    assert finding.message_id == made[1].pk


def test_the_random_sample_takes_its_percentage_and_no_more(db):
    import datetime as dt

    from django.utils import timezone

    from kefu.quality.models import QualitySettings
    from kefu.quality.services.checks import Result, sample_reason

    settings = QualitySettings(random_percent=10)
    veteran = UserFactory(role=Role.AGENT)
    veteran.date_joined = timezone.now() - dt.timedelta(days=60)
    clean = Result(score=100)

    def reason(rand):
        return sample_reason(
            settings=settings,
            result=clean,
            agent=veteran,
            rating=None,
            closed_at=timezone.now(),
            rand=rand,
        )

    assert reason(0.05) == SampleReason.RANDOM and reason(0.0999) == SampleReason.RANDOM
    assert reason(0.10) == "" and reason(0.9) == ""
    settings.random_percent = 0
    assert reason(0.0) == ""


def _closed_unchecked(agent, lines):
    """A chat served by `agent`, closed with no check run yet (as a backlog finds it)."""
    from django.utils import timezone

    from kefu.conversations.models import Conversation, ConversationState

    conversation, made = served_chat(agent, lines, close=False)
    Conversation.objects.filter(pk=conversation.pk).update(
        state=ConversationState.CLOSED, closed_at=timezone.now()
    )
    return conversation, made


def test_many_closed_chats_are_checked_together_as_each_would_be_alone(no_random_sample):
    from kefu.core.events import Delivery, subscribe, unsubscribe
    from kefu.quality.events import ConversationChecked
    from kefu.quality.services.checks import check_conversations

    agent = old_agent()
    good, _ = _closed_unchecked(agent, GOOD_CHAT)
    rude, rude_made = _closed_unchecked(
        agent, [("visitor", "这个怎么用"), ("agent", "您好，说明书上都有，你自己看吧")]
    )
    still_open, _ = served_chat(agent, GOOD_CHAT, close=False)
    already, _ = served_chat(agent, GOOD_CHAT)  # closed through the service: checked at once
    first = Inspection.objects.get(conversation=already)
    got = []
    subscribe(ConversationChecked, got.append, mode=Delivery.INLINE)
    try:
        done = check_conversations(
            [rude.pk, good.pk, still_open.pk, already.pk, rude.pk], batch_size=2
        )
    finally:
        unsubscribe(ConversationChecked, got.append)
    assert set(done) == {rude.pk, good.pk, already.pk}
    assert done[already.pk] == first and Inspection.objects.count() == 3
    assert done[good.pk].score == 100 and not done[good.pk].findings.exists()
    found = {f.kind: f for f in done[rude.pk].findings.all()}
    assert set(found) == {CheckKind.FORBIDDEN, CheckKind.CLOSING}
    assert (found[CheckKind.FORBIDDEN].message_id, found[CheckKind.FORBIDDEN].matched) == (
        rude_made[1].pk,
        "你自己看",
    )
    assert done[rude.pk].severe and done[rude.pk].score == 100 - 20 - 10
    assert Review.objects.get(inspection=done[rude.pk]).reason == SampleReason.SEVERE
    assert not Review.objects.filter(inspection=done[good.pk]).exists()
    assert sorted(e.conversation_id for e in got) == sorted([rude.pk, good.pk])


def test_a_batch_of_chats_costs_the_queries_of_one(no_random_sample):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.quality.services.checks import check_conversations

    agent = old_agent()
    chats = [_closed_unchecked(agent, GOOD_CHAT)[0].pk for _ in range(6)]
    check_conversations(chats[:1])  # the first check seeds the rubric
    with CaptureQueriesContext(connection) as one:
        check_conversations(chats[1:2])
    with CaptureQueriesContext(connection) as four:
        check_conversations(chats[2:])
    assert Inspection.objects.count() == 6
    assert len(four) == len(one)


def test_closed_chats_are_marked_and_checked_in_batches_each_once(no_random_sample):
    """The background path: a close only marks the chat; the worker checks what is marked in
    batches (the nudge after a close, and every minute), so two runs, or a run meeting a mark of a
    chat already checked, still make one inspection and one ConversationChecked per chat."""
    from kefu.core.events import Delivery, subscribe, unsubscribe
    from kefu.quality.events import ConversationChecked
    from kefu.quality.models import PendingCheck
    from kefu.quality.services.checks import queue_checks
    from kefu.quality.tasks import check_closed_chats

    agent = old_agent()
    closed = served_chat(agent, GOOD_CHAT)[0]  # through the service: marked, nudged, checked
    assert Inspection.objects.filter(conversation=closed).count() == 1
    assert not PendingCheck.objects.exists()  # the mark is gone once checked

    backlog = [_closed_unchecked(agent, GOOD_CHAT)[0].pk for _ in range(5)]
    still_open = served_chat(agent, GOOD_CHAT, close=False)[0]
    queue_checks([*backlog, closed.pk, still_open.pk, backlog[0]])
    assert PendingCheck.objects.count() == 7
    got = []
    subscribe(ConversationChecked, got.append, mode=Delivery.INLINE)
    try:
        assert check_closed_chats.call_local() == 7
        assert check_closed_chats.call_local() == 0  # run twice: nothing left to take
        queue_checks(backlog)  # marked again (a second close event, a retried nudge)
        assert check_closed_chats.call_local() == 5
    finally:
        unsubscribe(ConversationChecked, got.append)
    assert sorted(e.conversation_id for e in got) == sorted(backlog)
    assert Inspection.objects.filter(conversation_id__in=backlog).count() == 5
    assert Inspection.objects.filter(conversation=closed).count() == 1
    assert not Inspection.objects.filter(conversation=still_open).exists()  # not closed: dropped
    assert not PendingCheck.objects.exists()


def test_the_check_queue_is_taken_in_batches(no_random_sample):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.quality.services.checks import check_queued, queue_checks

    agent = old_agent()
    backlog = [_closed_unchecked(agent, GOOD_CHAT)[0].pk for _ in range(5)]
    queue_checks(backlog)
    assert check_queued(batch_size=2, max_batches=1) == 2  # oldest marks first
    assert Inspection.objects.filter(conversation_id__in=backlog[:2]).count() == 2
    with CaptureQueriesContext(connection) as run:
        assert check_queued(batch_size=3) == 3
    assert Inspection.objects.filter(conversation_id__in=backlog).count() == 5
    assert len(run) < 40  # a batch's few reads and one write each, not ~10 queries a chat
