"""The telephony system's signed webhook: signature, freshness, idempotent replays, the call's life."""

import json
import time

import pytest
from django.test import Client

from kefu.core.models import TimelineEntry
from kefu.telephony.models import Call
from kefu.telephony.webhook import sign

pytestmark = pytest.mark.django_db
SECRET = "telephony-test-secret"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.KEFU_TELEPHONY_SECRET = SECRET


def post(payload, *, timestamp=None, secret=SECRET, signature=None, client=None):
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    return (client or Client()).post(
        "/telephony/webhook/",
        data=body,
        content_type="application/json",
        HTTP_X_KEFU_TIMESTAMP=str(timestamp),
        HTTP_X_KEFU_SIGNATURE=signature
        or "sha256=" + sign(body, timestamp=timestamp, secret=secret),
    )


def test_forged_stale_and_unconfigured_requests_are_refused(settings, cast):
    payload = {
        "event": "call.ringing",
        "call_id": "c1",
        "number": "13800138000",
        "extension": "8001",
    }
    assert post(payload, secret="wrong").status_code == 401
    assert post(payload, timestamp=int(time.time()) - 330).status_code == 401
    assert post(payload, timestamp=int(time.time()) + 330).status_code == 401
    assert post(payload, signature="00").status_code == 401
    assert (
        Client()
        .post("/telephony/webhook/", data=b"{}", content_type="application/json")
        .status_code
        == 401
    )
    assert (
        post(payload, timestamp=int(time.time()) - 290).status_code == 200
    )  # inside the five minutes
    settings.KEFU_TELEPHONY_SECRET = ""
    assert post({**payload, "call_id": "c2"}).status_code == 503
    assert list(Call.objects.values_list("external_id", flat=True)) == ["c1"]


def test_bad_payloads_answer_400(cast):
    assert post({"event": "call.exploded", "call_id": "x"}).status_code == 400
    assert post({"event": "call.ringing", "number": "13800138000"}).status_code == 400
    assert post({"event": "call.ringing", "call_id": "x", "number": ""}).status_code == 400
    assert (
        post(
            {"event": "call.ended", "call_id": "x", "number": "13800138000", "outcome": "kaboom"}
        ).status_code
        == 400
    )
    assert post(["not", "an", "object"]).status_code == 400
    assert Call.objects.count() == 0


def test_a_call_rings_is_answered_ends_and_replays_change_nothing(cast, customer):
    ringing = {
        "event": "call.ringing",
        "call_id": "pbx-42",
        "direction": "in",
        "number": "13800138000",
        "extension": "8001",
        "started_at": "2026-01-05T02:00:00Z",
    }
    first = post(ringing).json()
    assert (first["outcome"], first["customer_id"], first["changed"]) == (
        "ringing",
        customer.pk,
        True,
    )
    assert post(ringing).json()["changed"] is False
    answered = {
        "event": "call.answered",
        "call_id": "pbx-42",
        "answered_at": "2026-01-05T02:00:08Z",
    }
    assert post(answered).json()["changed"] is True
    ended = {
        "event": "call.ended",
        "call_id": "pbx-42",
        "ended_at": "2026-01-05T02:03:08Z",
        "recording_url": "https://pbx.example.cn/rec/42.mp3",
    }
    assert post(ended).json() == {
        "id": first["id"],
        "call_id": "pbx-42",
        "outcome": "answered",
        "changed": True,
        "customer_id": customer.pk,
    }
    for replay in (ended, answered, ringing):
        assert post(replay).json()["changed"] is False
    call = Call.objects.get()
    assert (call.agent_id, call.duration_seconds, call.recording_url, call.source) == (
        cast.agent.pk,
        180,
        "https://pbx.example.cn/rec/42.mp3",
        "webhook",
    )
    assert TimelineEntry.objects.filter(kind="telephony.call").count() == 1
    assert (
        TimelineEntry.objects.filter(customer_id=customer.pk, kind="customers.contacted").count()
        == 1
    )
    customer.refresh_from_db()
    assert customer.last_contacted_at == call.started_at


def test_an_ended_event_alone_records_the_whole_call(cast):
    payload = {
        "event": "call.ended",
        "call_id": "pbx-7",
        "direction": "out",
        "number": "020-8765 4321",
        "user_id": cast.agent2.pk,
        "started_at": 1767578400,
        "duration": 0,
        "outcome": "busy",
    }
    assert post(payload).status_code == 200
    assert post(payload).json()["changed"] is False
    call = Call.objects.get()
    assert (call.number, call.outcome, call.agent_id, call.customer_id) == (
        "+862087654321",
        "busy",
        cast.agent2.pk,
        None,
    )


def test_the_webhook_needs_no_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    assert (
        post(
            {"event": "call.ringing", "call_id": "c9", "number": "13800138000"}, client=client
        ).status_code
        == 200
    )
