"""Item 4 of the rest of issue 14: quality checks of telephony calls — a recorded call is checked by
its notes with the same rubric (a forbidden word is severe and sampled), reviewed on the same
screen, appealed by the agent and decided by a supervisor; the agent sees only their own."""

import json

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.notifications.models import Notification
from kefu.quality.models import Inspection, Review, ReviewState, SampleReason
from kefu.quality.services.checks import check_call
from kefu.quality.services.rubric import rubric_items
from kefu.quality.tests.conftest import old_agent
from kefu.telephony.models import Call, CallDirection, CallOutcome
from kefu.telephony.services import record_call

pytestmark = pytest.mark.django_db(transaction=True)


def recorded_call(agent, notes):
    call = Call.objects.create(
        direction=CallDirection.INBOUND,
        number="13800000000",
        agent=agent,
        started_at=timezone.now(),
        ended_at=timezone.now(),
        outcome=CallOutcome.ANSWERED,
        notes=notes,
        created_by=agent,
    )
    return check_call(call.pk), call


def test_a_recorded_call_is_checked_by_its_notes(no_random_sample):
    agent = old_agent()
    inspection, call = recorded_call(agent, "客户问发货时间，我说你自己看说明书")
    assert inspection.call_id == call.pk and inspection.conversation_id is None
    assert inspection.severe and inspection.score < 100
    assert inspection.review.reason == SampleReason.SEVERE
    clean, _call = recorded_call(agent, "客户问发货时间，已告知明天发货")
    assert clean.score == 100 and not Review.objects.filter(inspection=clean).exists()


def test_a_call_recorded_through_the_service_is_checked_in_the_worker(client_for, no_random_sample):
    _client, agent = client_for(Role.AGENT)
    call = record_call(
        actor=agent,
        agent=agent,
        direction=CallDirection.OUTBOUND,
        number="13800000001",
        started_at=timezone.now(),
        outcome=CallOutcome.ANSWERED,
        notes="回访客户，你自己看说明书",
    )
    inspection = Inspection.objects.get(call=call)
    assert inspection.severe


def test_a_call_is_reviewed_appealed_and_decided_like_a_chat(client_for, no_random_sample):
    agent_client, agent = client_for(Role.AGENT)
    inspection, call = recorded_call(agent, "客户投诉，我说你自己看说明书")
    inspector_client, _inspector = client_for(Role.INSPECTOR)
    supervisor_client, _supervisor = client_for(Role.SUPERVISOR)
    page = inspector_client.get(f"/quality/checks/{inspection.pk}/").content.decode()
    assert f"#{call.pk}" in page and 'data-testid="mark"' in page
    # Hidden from the agent until reviewed.
    assert agent_client.get(f"/quality/checks/{inspection.pk}/").status_code == 404
    data = {f"item-{i.pk}": str(i.weight) for i in rubric_items() if i.is_active}
    data["comment"] = "通话小结里有服务禁语"
    review = Review.objects.get(inspection=inspection)
    data["version"] = review.version
    inspector_client.post(f"/quality/checks/{inspection.pk}/review/", data)
    review.refresh_from_db()
    assert review.state == ReviewState.DONE
    assert agent_client.get(f"/quality/checks/{inspection.pk}/").status_code == 200
    agent_client.post(
        f"/quality/checks/{inspection.pk}/appeal/",
        {"reason": "客户先骂人", "version": review.version},
    )
    review.refresh_from_db()
    assert review.state == ReviewState.APPEALED
    supervisor_client.post(
        f"/quality/checks/{inspection.pk}/decide/",
        {"decision": "change", "score": "90", "note": "情有可原", "version": review.version},
    )
    review.refresh_from_db()
    assert (review.state, review.final_score) == (ReviewState.DECIDED, 90)
    steps = set(
        AuditEntry.objects.filter(
            action=AuditAction.QUALITY_REVIEW, object_id=str(review.pk)
        ).values_list("details__step", flat=True)
    )
    assert {"reviewed", "appealed"} <= steps
    # Another agent never sees it.
    other_client, _other = client_for(Role.AGENT)
    assert other_client.get(f"/quality/checks/{inspection.pk}/").status_code == 404


def _api(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_call_review_tells_the_agent_and_the_supervisors(client_for, no_random_sample):
    """A call's forbidden word alerts the supervisors at once (CallChecked, as a chat's does); its
    review tells the agent, the agent's appeal the supervisors, the decision the agent — each
    linking to the check, through the API as on the pages."""
    from kefu.core.events import Delivery, subscribe, unsubscribe
    from kefu.quality.events import CallChecked

    supervisor_client, supervisor = client_for(Role.SUPERVISOR)
    inspector_client, inspector = client_for(Role.INSPECTOR)
    agent_client, agent = client_for(Role.AGENT)
    got: list[CallChecked] = []
    subscribe(CallChecked, got.append, mode=Delivery.INLINE)
    try:
        call = record_call(
            actor=agent,
            agent=agent,
            direction=CallDirection.INBOUND,
            number="13800000002",
            started_at=timezone.now(),
            outcome=CallOutcome.ANSWERED,
            notes="客户催发货，我说你自己看说明书",
        )
        clean = record_call(
            actor=agent,
            agent=agent,
            direction=CallDirection.INBOUND,
            number="13800000003",
            started_at=timezone.now(),
            outcome=CallOutcome.ANSWERED,
            notes="客户问发票，已开具",
        )
    finally:
        unsubscribe(CallChecked, got.append)
    inspection = Inspection.objects.get(call=call)
    link = f"/quality/checks/{inspection.pk}/"
    assert [(e.call_id, e.inspection_id, e.agent_id, e.severe) for e in got] == [
        (call.pk, inspection.pk, agent.pk, True),
        (clean.pk, Inspection.objects.get(call=clean).pk, agent.pk, False),
    ]
    alert = Notification.objects.get(kind="quality.call_checked")
    assert (alert.recipient, alert.link) == (supervisor, link)
    assert f"通话 #{call.pk}" in alert.title and "服务禁语" in alert.title
    assert not Notification.objects.filter(recipient=agent).exists()  # not theirs to see yet

    items = [{"item_id": i.pk, "points": i.weight} for i in rubric_items() if i.is_active]
    url = f"/api/v1/quality/checks/{inspection.pk}"
    reviewed = _api(inspector_client, f"{url}/review", {"items": items, "comment": "禁语"})
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["review"]["state"] == "done"
    told = Notification.objects.get(recipient=agent, kind="quality.reviewed")
    assert told.link == link and told.title == f"通话 #{call.pk} 已复核：100 分"

    appealed = _api(agent_client, f"{url}/appeal", {"reason": "客户先骂人"})
    assert appealed.status_code == 200, appealed.content
    asked = Notification.objects.get(recipient=supervisor, kind="quality.appealed")
    assert asked.link == link and f"对通话 #{call.pk} 的复核提出申诉" in asked.title
    assert not Notification.objects.filter(recipient=inspector, kind="quality.appealed").exists()

    decided = _api(
        supervisor_client, f"{url}/decide", {"decision": "change", "score": 90, "note": "酌情"}
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["review"]["final_score"] == 90
    answer = Notification.objects.get(recipient=agent, kind="quality.appeal_decided")
    assert answer.link == link and answer.title == f"通话 #{call.pk} 申诉成立，分数改为 90 分"
    steps = list(
        AuditEntry.objects.filter(action=AuditAction.QUALITY_REVIEW)
        .order_by("id")
        .values_list("details__step", flat=True)
    )
    assert steps == ["reviewed", "appealed", "decided"]
