"""Call pages (list, form with the script, call page, linking) and the calls API."""

import json

import pytest
from django.test import Client

from conftest import HOSTILE_STRINGS, sign_in
from kefu.telephony import services
from kefu.telephony.demo import build
from kefu.telephony.models import Call

pytestmark = pytest.mark.django_db


def test_the_call_form_shows_the_script_and_records_the_call(cast, customer):
    from kefu.telephony.demo import SCRIPTS
    from kefu.telephony.models import CallScript

    for direction, text in SCRIPTS.items():
        CallScript.objects.create(direction=direction, text=text)
    client = sign_in(Client(), cast.agent)
    page = client.get(f"/telephony/new/?customer={customer.pk}&direction=in").content.decode()
    assert 'data-testid="call-script"' in page and "您好，XX客服，工号8001，很高兴为您服务" in page
    assert 'value="+8613800138000"' in page
    response = client.post(
        "/telephony/new/",
        {
            "direction": "in",
            "number": "13800138000",
            "customer": "",
            "outcome": "answered",
            "started_at": "2026-01-05T10:00",
            "duration_minutes": "3",
            "duration_seconds": "5",
            "subject": "咨询发票",
            "notes": HOSTILE_STRINGS[0],
            "recording_url": "",
        },
    )
    call = Call.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/telephony/{call.pk}/"
    assert (call.customer_id, call.duration_seconds, call.subject) == (customer.pk, 185, "咨询发票")
    detail = client.get(f"/telephony/{call.pk}/").content.decode()
    assert "<script>alert" not in detail and "&lt;script&gt;" in detail
    listing = client.get("/telephony/?q=8000&outcome=answered").content.decode()
    assert (
        f"/telephony/{call.pk}/" in listing
        and "138****8000" in listing
        and "13800138000" not in listing
    )
    assert f"/telephony/{call.pk}/" not in client.get("/telephony/?outcome=missed").content.decode()


def test_a_refused_form_says_why_and_stores_nothing(cast):
    client = sign_in(Client(), cast.agent)
    response = client.post(
        "/telephony/new/",
        {
            "direction": "in",
            "number": "   ",
            "outcome": "answered",
            "started_at": "2026-01-05T10:00",
            "duration_minutes": "0",
            "duration_seconds": "0",
        },
    )
    assert response.status_code == 200 and Call.objects.count() == 0


def test_linking_an_unknown_caller_from_the_call_page(cast, customer):
    call = services.record_call(
        actor=cast.agent, direction="in", number="13912345678", outcome="answered"
    )
    client = sign_in(Client(), cast.agent)
    page = client.get(f"/telephony/{call.pk}/").content.decode()
    assert 'data-testid="link-customer"' in page
    assert client.post(f"/telephony/{call.pk}/link/", {"customer": customer.pk}).status_code == 302
    call.refresh_from_db()
    assert call.customer_id == customer.pk
    other = services.record_call(
        actor=cast.agent, direction="in", number="13700001111", outcome="missed"
    )
    assert client.post(f"/telephony/{other.pk}/new-customer/", {"name": "王芳"}).status_code == 302
    other.refresh_from_db()
    assert other.customer.name == "王芳"


def test_another_agents_call_answers_404(cast, customer):
    call = services.record_call(
        actor=cast.agent, direction="in", number="13800138000", outcome="answered"
    )
    other = sign_in(Client(), cast.agent2)
    assert other.get(f"/telephony/{call.pk}/").status_code == 404
    assert other.post(f"/telephony/{call.pk}/link/", {"customer": customer.pk}).status_code == 404
    assert sign_in(Client(), cast.supervisor).get(f"/telephony/{call.pk}/").status_code == 200
    inspector = sign_in(Client(), cast.inspector)
    assert inspector.get(f"/telephony/{call.pk}/").status_code == 200
    assert inspector.get("/telephony/new/").status_code == 403


def test_the_customer_page_lists_calls_with_a_record_button(cast, customer):
    services.record_call(
        actor=cast.agent,
        direction="out",
        number="13800138000",
        outcome="answered",
        subject="满意度回访",
    )
    page = sign_in(Client(), cast.agent).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-calls"' in page and "满意度回访" in page
    assert f"/telephony/new/?customer={customer.pk}&direction=out" in page


def api(client, method, url, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(f"/api/v1{url}", **kwargs)


def test_the_calls_api(cast, customer):
    agent = sign_in(Client(), cast.agent)
    created = api(
        agent,
        "post",
        "/calls",
        {"direction": "in", "number": "13800138000", "outcome": "answered", "duration_seconds": 61},
    )
    assert created.status_code == 201
    body = created.json()
    assert (
        body["customer_id"],
        body["number"],
        body["duration_seconds"],
        body["outcome"],
        body["source"],
    ) == (customer.pk, "138****8000", 61, "answered", "api")
    assert api(agent, "get", f"/calls/{body['id']}").json()["id"] == body["id"]
    assert [
        c["id"] for c in api(agent, "get", f"/calls?customer={customer.pk}").json()["items"]
    ] == [body["id"]]
    other = sign_in(Client(), cast.agent2)
    assert api(other, "get", f"/calls/{body['id']}").status_code == 404
    assert api(other, "get", "/calls").json()["items"] == []
    assert (
        api(
            agent, "post", "/calls", {"direction": "sideways", "number": "1", "outcome": "answered"}
        ).status_code
        == 400
    )
    assert (
        api(
            agent,
            "post",
            "/calls",
            {
                "direction": "in",
                "number": "13800138000",
                "outcome": "answered",
                "recording_url": "javascript:alert(1)",
            },
        ).status_code
        == 400
    )
    assert api(Client(), "get", "/calls").status_code == 401
    assert Call.objects.count() == 1


def test_demo_calls(cast, customer):
    build(password="x", count=60, seed=7)
    calls = Call.objects.all()
    assert 40 <= calls.count() <= 60
    assert {"in", "out"} <= set(calls.values_list("direction", flat=True))
    assert calls.filter(customer=customer).exists() or calls.filter(customer__isnull=True).exists()
    build(password="x", count=60)  # idempotent
    assert Call.objects.count() == calls.count()
