"""Personal-data rights through the pages and the API: a customer's copy (zip, audited, for the
one who asked), erasure everywhere with statistics kept (and refused or queued while a complaint
is open), retention rules with their dry run and purge, who may do what, hostile input."""

import datetime as dt
import io
import json
import re
import zipfile

import pytest
from django.test import Client
from django.utils import timezone

from conftest import HOSTILE_CONTROL_STRINGS, HOSTILE_STRINGS, sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.accounts.roles import Role
from kefu.conversations.models import ChatImage, Message
from kefu.core.personal_data import ERASED
from kefu.customers.models import ContactIdentity, Customer
from kefu.privacy import services
from kefu.privacy.models import DataExport, ErasureRequest, ErasureState, RetentionRule
from kefu.privacy.tasks import complete_waiting_erasures_task, purge_expired_task
from kefu.privacy.tests.conftest import MOBILE
from kefu.sms.models import SmsMessage
from kefu.telephony.models import Call
from kefu.tickets.models import Ticket, TicketSearchDocument
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketState, TicketType

pytestmark = pytest.mark.django_db


def api_client(user) -> Client:
    from kefu.accounts.services import create_api_token

    _token, raw = create_api_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def steps(customer) -> list[str]:
    return [
        e.details.get("step")
        for e in AuditEntry.objects.filter(
            object_id=str(customer.pk),
            action__in=[AuditAction.PERSONAL_DATA_EXPORT, AuditAction.PERSONAL_DATA_ERASURE],
        ).order_by("id")
    ]


def found_by_mobile(client) -> dict[str, int]:
    """How many customers and tickets a search by the mobile finds, on the pages and the API."""
    customers_page = client.get("/customers/", {"q": MOBILE}).content.decode()
    tickets_page = client.get("/tickets/", {"q": MOBILE}).content.decode()
    return {
        "customers_api": len(client.get("/api/v1/customers", {"q": MOBILE}).json()["items"]),
        "tickets_api": len(client.get("/api/v1/tickets", {"q": MOBILE}).json()["items"]),
        "customers_page": len(re.findall(r'<td><a href="/customers/\d+/">', customers_page)),
        "tickets_page": tickets_page.count('<td class="text-nowrap"><a href="/tickets/'),
    }


# --- the copy ----------------------------------------------------------------------------------


def test_a_manager_exports_everything_held_and_only_they_download_it(cast, held):
    client = sign_in(Client(), cast.manager)
    response = client.post(
        f"/privacy/customers/{held.customer.pk}/export/", {"export-reason": "客户来电要求副本"}
    )
    assert response.status_code == 302
    export = DataExport.objects.get()
    assert export.requested_by == cast.manager
    page = client.get("/privacy/").content.decode()
    assert f"/privacy/exports/{export.pk}/download/" in page

    archive = zip_of(client.get(f"/privacy/exports/{export.pk}/download/"))
    names = set(archive.namelist())
    assert {
        "manifest.json",
        "customers/customer.json",
        "customers/customer.csv",
        "customers/identities.json",
        "customers/timeline.json",
        "tickets/tickets.json",
        "conversations/messages.json",
        "telephony/calls.json",
        "sms/sms.json",
    } <= names
    assert f"conversations/chat_images/{held.image.pk}-发票.png" in names
    profile = json.loads(archive.read("customers/customer.json"))[0]
    assert (profile["name"], profile["mobile"]) == ("张伟", "+86" + MOBILE)
    assert profile["address"] == "南宁市青秀区民族大道100号"
    messages = json.loads(archive.read("conversations/messages.json"))
    assert [m["body"] for m in messages] == ["我的手机是13912345678"]
    assert json.loads(archive.read("tickets/tickets.json"))[0]["number"] == held.ticket.number
    assert json.loads(archive.read("telephony/calls.json"))[0]["duration_seconds"] == 95
    assert "张伟" in archive.read("customers/customer.csv").decode("utf-8-sig")
    consents = json.loads(archive.read("customers/consents.json"))
    assert [(c["purpose"], c["given"]) for c in consents] == [("care", True)]
    assert steps(held.customer) == ["built", "downloaded"]

    # Another manager, holding the same permission, does not get it: 404 and nothing audited.
    other = sign_in(Client(), cast.manager2)
    assert other.get(f"/privacy/exports/{export.pk}/download/").status_code == 404
    assert other.get(f"/api/v1/privacy/exports/{export.pk}/file").status_code == 404
    assert other.get("/privacy/exports/999999/download/").status_code == 404
    assert steps(held.customer) == ["built", "downloaded"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.INSPECTOR])
def test_roles_without_the_permissions_are_refused_and_nothing_is_made(role, client_for, held):
    client, user = client_for(role)
    assert client.get("/privacy/").status_code == 403
    assert client.get(f"/privacy/customers/{held.customer.pk}/").status_code == 403
    response = client.post(f"/privacy/customers/{held.customer.pk}/export/", {"export-reason": "x"})
    assert response.status_code == 403
    response = client.post(
        f"/privacy/customers/{held.customer.pk}/erase/",
        {"erase-reason": "x", "erase-confirm": "on"},
    )
    assert response.status_code == 403
    api = api_client(user)
    body = {"customer_id": held.customer.pk, "reason": "x"}
    assert api.post("/api/v1/privacy/exports", body, "application/json").status_code == 403
    assert api.post("/api/v1/privacy/erasures", body, "application/json").status_code == 403
    assert api.get("/api/v1/privacy/retention").status_code == 403
    assert api.post("/api/v1/privacy/retention/purge").status_code == 403
    assert not DataExport.objects.exists() and not ErasureRequest.objects.exists()
    assert Customer.objects.get(pk=held.customer.pk).name == "张伟"


def test_a_missing_customer_or_request_answers_404(cast, held):
    client = sign_in(Client(), cast.manager)
    assert client.get("/privacy/customers/999999/").status_code == 404
    assert (
        client.post("/privacy/customers/999999/export/", {"export-reason": "x"}).status_code == 404
    )
    assert client.post("/privacy/erasures/999999/cancel/").status_code == 404
    api = api_client(cast.manager)
    body = {"customer_id": 999999, "reason": "x"}
    assert api.post("/api/v1/privacy/exports", body, "application/json").status_code == 404
    assert api.post("/api/v1/privacy/erasures", body, "application/json").status_code == 404
    assert api.get("/api/v1/privacy/erasures/999999").status_code == 404
    assert api.get("/api/v1/privacy/exports/999999").status_code == 404


# --- erasure -----------------------------------------------------------------------------------


def test_erasure_removes_personal_data_everywhere_and_keeps_the_statistics(
    cast, held, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), cast.manager)
    assert found_by_mobile(client) == {
        "customers_api": 1,
        "tickets_api": 1,
        "customers_page": 1,
        "tickets_page": 1,
    }
    client.post(f"/privacy/customers/{held.customer.pk}/export/", {"export-reason": "副本"})
    export = DataExport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/privacy/customers/{held.customer.pk}/erase/",
            {"erase-reason": "客户书面申请删除", "erase-confirm": "on"},
        )
    assert response.status_code == 302
    erasure = ErasureRequest.objects.get()
    assert erasure.state == ErasureState.DONE
    assert erasure.counts["tickets"]["tickets"] == 1
    assert erasure.counts["conversations"]["messages"] == 1

    customer = Customer.objects.get(pk=held.customer.pk)
    assert (customer.name, customer.mobile, customer.email, customer.address) == (
        f"已删除客户{customer.pk}",
        "",
        "",
        "",
    )
    assert not ContactIdentity.objects.filter(customer=customer).exists()
    ticket = Ticket.objects.get(pk=held.ticket.pk)
    assert (ticket.subject, ticket.content, ticket.state) == (ERASED, ERASED, held.ticket.state)
    assert MOBILE not in TicketSearchDocument.objects.get(pk=ticket.pk).body
    assert Message.objects.get(pk=held.message.pk).body == ERASED
    assert not ChatImage.objects.exists()
    call = Call.objects.get(pk=held.call.pk)
    assert (call.number, call.recording_url, call.duration_seconds, call.outcome) == (
        "",
        "",
        95,
        "answered",
    )
    assert SmsMessage.objects.get(pk=held.sms.pk).body == ERASED
    # The copy made before is gone with it.
    assert DataExport.objects.get(pk=export.pk).deleted_at is not None
    assert client.get(f"/privacy/exports/{export.pk}/download/").status_code == 404

    # A search by their mobile finds nothing, on the pages and in the API.
    assert found_by_mobile(client) == {
        "customers_api": 0,
        "tickets_api": 0,
        "customers_page": 0,
        "tickets_page": 0,
    }
    assert "张伟" not in client.get("/privacy/").content.decode()
    # Every step is audited: the request, one entry per app, done.
    assert steps(customer)[-17:] == [
        "built",
        "requested",
        "customers",
        "tickets",
        "conversations",
        "sms",
        "telephony",
        "aftersales",
        "dispatch",
        "feedback",
        "knowledge",
        "orders",
        "quality",
        "visits",
        "automation",
        "notifications",
        "done",
    ]


def test_an_open_complaint_refuses_the_erasure_with_the_reason_and_changes_nothing(cast, held):
    complaint = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="屏幕有亮点",
        content="要求换货",
        customer_id=held.customer.pk,
    )
    client = sign_in(Client(), cast.manager)
    page = client.get(f"/privacy/customers/{held.customer.pk}/").content.decode()
    assert complaint.number in page
    response = client.post(
        f"/privacy/customers/{held.customer.pk}/erase/",
        {"erase-reason": "客户申请", "erase-confirm": "on"},
        follow=True,
    )
    assert "删除被拒绝" in response.content.decode()
    assert complaint.number in response.content.decode()
    assert not ErasureRequest.objects.exists()
    assert Customer.objects.get(pk=held.customer.pk).mobile == "+86" + MOBILE
    assert steps(held.customer) == ["refused"]

    answer = api_client(cast.manager).post(
        "/api/v1/privacy/erasures",
        {"customer_id": held.customer.pk, "reason": "客户申请"},
        "application/json",
    )
    assert answer.status_code == 409
    assert complaint.number in answer.json()["detail"]


def test_a_queued_erasure_completes_once_the_complaint_is_closed(cast, held):
    complaint = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="屏幕有亮点",
        customer_id=held.customer.pk,
    )
    answer = api_client(cast.manager).post(
        "/api/v1/privacy/erasures",
        {"customer_id": held.customer.pk, "reason": "客户申请", "wait_for_blockers": True},
        "application/json",
    )
    assert answer.status_code == 201
    assert answer.json()["state"] == "waiting"
    assert complaint.number in answer.json()["blocked_reason"]
    assert complete_waiting_erasures_task.call_local() == 0
    assert Customer.objects.get(pk=held.customer.pk).name == "张伟"

    # The complaint loop ends (its steps are the tickets app's own tests).
    Ticket.objects.filter(pk=complaint.pk).update(state=TicketState.CLOSED)
    assert complete_waiting_erasures_task.call_local() == 1
    erasure = ErasureRequest.objects.get()
    assert erasure.state == ErasureState.DONE
    assert Customer.objects.get(pk=held.customer.pk).mobile == ""
    done = AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_ERASURE).order_by("id").last()
    assert (done.details["step"], done.actor_username) == ("done", "kefu")
    got = api_client(cast.manager).get(f"/api/v1/privacy/erasures/{erasure.pk}")
    assert got.json()["state"] == "done"
    listed = api_client(cast.manager).get("/api/v1/privacy/erasures", {"state": "done"}).json()
    assert [e["id"] for e in listed] == [erasure.pk]
    assert (
        api_client(cast.manager).get("/api/v1/privacy/erasures", {"state": "waiting"}).json() == []
    )


def test_a_waiting_request_can_be_cancelled_and_a_second_one_is_refused(cast, held):
    create_ticket(
        actor=cast.agent, type=TicketType.COMPLAINT, subject="x", customer_id=held.customer.pk
    )
    erasure = services.request_erasure(
        actor=cast.manager, customer=held.customer, reason="申请", wait_for_blockers=True
    )
    with pytest.raises(services.InvalidState):
        services.request_erasure(
            actor=cast.manager, customer=held.customer, reason="再次", wait_for_blockers=True
        )
    client = sign_in(Client(), cast.manager)
    assert client.post(f"/privacy/erasures/{erasure.pk}/cancel/").status_code == 302
    assert ErasureRequest.objects.get().state == ErasureState.CANCELLED
    assert steps(held.customer) == ["queued", "cancelled"]

    # Through the API as well: a waiting request is cancelled; one already cancelled, 409.
    api = api_client(cast.manager)
    waiting = api.post(
        "/api/v1/privacy/erasures",
        {"customer_id": held.customer.pk, "reason": "申请", "wait_for_blockers": True},
        "application/json",
    ).json()
    cancelled = api.post(f"/api/v1/privacy/erasures/{waiting['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    again = api.post(f"/api/v1/privacy/erasures/{waiting['id']}/cancel")
    assert again.status_code == 409 and again.json()["detail"]
    assert api.post("/api/v1/privacy/erasures/999999/cancel").status_code == 404
    assert steps(held.customer) == ["queued", "cancelled"] * 2


def test_the_api_exports_and_serves_the_zip_to_its_requester(cast, held):
    api = api_client(cast.admin)
    answer = api.post(
        "/api/v1/privacy/exports",
        {"customer_id": held.customer.pk, "reason": "接口导出"},
        "application/json",
    )
    assert answer.status_code == 201, answer.content
    url = answer.json()["download_url"]
    archive = zip_of(api.get(url))
    assert "customers/customer.json" in archive.namelist()
    assert api_client(cast.manager).get(url).status_code == 404
    assert [e["id"] for e in api.get("/api/v1/privacy/exports").json()] == [answer.json()["id"]]
    assert api_client(cast.manager).get("/api/v1/privacy/exports").json() == []


# --- retention ---------------------------------------------------------------------------------


def test_retention_dry_run_counts_then_the_purge_keeps_the_statistics(cast, held):
    client = sign_in(Client(), cast.manager)
    response = client.post(
        "/privacy/retention/", {"kind": "call_recordings", "days": "365", "enabled": "on"}
    )
    assert response.status_code == 302
    page = client.get("/privacy/retention/").content.decode()
    assert 'data-testid="due-call_recordings">1<' in page
    assert Call.objects.get(pk=held.call.pk).recording_url  # a dry run changes nothing

    api = api_client(cast.manager)
    rows = {r["kind"]: r for r in api.get("/api/v1/privacy/retention").json()}
    assert rows["call_recordings"] == {
        "kind": "call_recordings",
        "label": rows["call_recordings"]["label"],
        "days": 365,
        "enabled": True,
        "due": 1,
    }
    assert rows["chat_messages"]["due"] is None  # no rule yet

    assert purge_expired_task.call_local() == {"call_recordings": 1}
    call = Call.objects.get(pk=held.call.pk)
    assert (call.recording_url, call.duration_seconds) == ("", 95)
    assert RetentionRule.objects.get().last_purged == 1
    purge = AuditEntry.objects.get(action=AuditAction.RETENTION_PURGE)
    assert purge.details["purged"] == 1

    # A rule of 1 day for chats: the message closed just now is not due; nothing purged.
    answer = api.put(
        "/api/v1/privacy/retention/chat_messages", {"days": 1, "enabled": True}, "application/json"
    )
    assert answer.status_code == 200
    assert services.purge_expired(now=timezone.now())["chat_messages"] == 0
    assert Message.objects.get(pk=held.message.pk).body.startswith("我的手机")

    # A purge now through the API, as the page's button: nothing more is due.
    purged = api.post("/api/v1/privacy/retention/purge")
    assert purged.status_code == 200
    assert purged.json() == {"purged": {"call_recordings": 0, "chat_messages": 0}}
    assert AuditEntry.objects.filter(action=AuditAction.RETENTION_PURGE).count() == 5


def test_the_sms_texts_purge_erases_the_providers_error_too(cast, held):
    """A provider's error may quote the number or the text: purged with the text, the status and
    the report code kept (and a message without an error keeps its empty one)."""
    SmsMessage.objects.filter(pk=held.sms.pk).update(
        status="failed", error=f"isv.MOBILE_NUMBER_ILLEGAL: +86{MOBILE} 为空号"
    )
    quiet = SmsMessage.objects.create(to="+8613700000000", template_code="notice", body="您好")
    RetentionRule.objects.create(kind="sms_texts", days=1, enabled=True)
    later = timezone.now() + dt.timedelta(days=2)
    assert services.purge_expired(now=later)["sms_texts"] == 2
    sms = SmsMessage.objects.get(pk=held.sms.pk)
    assert (sms.body, sms.params, sms.error) == (ERASED, {}, ERASED)
    assert (sms.status, sms.template_code, sms.to) == ("failed", "notice", "+86" + MOBILE)
    assert SmsMessage.objects.get(pk=quiet.pk).error == ""
    assert services.purge_expired(now=later)["sms_texts"] == 0  # purged once


@pytest.mark.parametrize(
    "form",
    [
        {"kind": "no_such_kind", "days": "30"},
        {"kind": "call_recordings", "days": "0"},
        {"kind": "call_recordings", "days": "-5"},
        {"kind": "call_recordings", "days": "abc"},
        {"kind": "<script>", "days": "30"},
    ],
)
def test_a_bad_retention_rule_is_refused_and_nothing_is_saved(cast, form):
    client = sign_in(Client(), cast.manager)
    response = client.post("/privacy/retention/", form, follow=True)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()
    assert not RetentionRule.objects.exists()
    answer = api_client(cast.manager).put(
        "/api/v1/privacy/retention/nothing", {"days": 30}, "application/json"
    )
    assert answer.status_code == 400


# --- hostile input -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_hostile_reasons_and_lookups_are_inert(cast, held, text):
    client = sign_in(Client(), cast.manager)
    assert client.get("/privacy/", {"customer": text}).status_code == 200
    client.post(f"/privacy/customers/{held.customer.pk}/export/", {"export-reason": text})
    page = client.get("/privacy/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    export = DataExport.objects.get()
    assert export.reason == text.strip()
    archive = zip_of(client.get(f"/privacy/exports/{export.pk}/download/"))
    assert "manifest.json" in archive.namelist()


def test_finding_a_customer_by_number_or_mobile(cast, held):
    client = sign_in(Client(), cast.manager)
    for text in (str(held.customer.pk), f"#{held.customer.pk}", MOBILE, "+86 139 1234 5678"):
        response = client.get("/privacy/", {"customer": text})
        assert response.status_code == 302, text
        assert response["Location"] == f"/privacy/customers/{held.customer.pk}/"
    missing = client.get("/privacy/", {"customer": "13800000000"})
    assert missing.status_code == 200
    assert "没有这个编号或手机号的客户" in missing.content.decode()


def test_erasure_emits_customer_erased_after_commit(cast, held, django_capture_on_commit_callbacks):
    from kefu.core.events import Delivery, subscribe, unsubscribe
    from kefu.privacy.events import CustomerErased

    got = []
    subscribe(CustomerErased, got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            erasure = services.request_erasure(
                actor=cast.manager, customer=held.customer, reason="申请"
            )
        assert got == []  # not before the commit
        for callback in callbacks:
            callback()
    finally:
        unsubscribe(CustomerErased, got.append)
    assert got == [CustomerErased(customer_id=held.customer.pk, request_id=erasure.pk)]


def test_closing_the_complaint_runs_the_waiting_erasure_at_once(
    cast, held, django_capture_on_commit_callbacks
):
    from kefu.core.events import emit
    from kefu.tickets.events import TicketTransitioned

    complaint = create_ticket(
        actor=cast.agent,
        type=TicketType.COMPLAINT,
        subject="屏幕有亮点",
        customer_id=held.customer.pk,
    )
    services.request_erasure(
        actor=cast.manager, customer=held.customer, reason="申请", wait_for_blockers=True
    )
    # The complaint loop closes it (its steps are the tickets app's own tests), then its event.
    Ticket.objects.filter(pk=complaint.pk).update(state=TicketState.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        emit(
            TicketTransitioned(
                ticket_id=complaint.pk,
                transition="close",
                from_state="follow_up",
                to_state=TicketState.CLOSED,
                actor_id=cast.agent.pk,
                version=2,
            )
        )
    assert ErasureRequest.objects.get().state == ErasureState.DONE
    assert Customer.objects.get(pk=held.customer.pk).mobile == ""


@pytest.mark.parametrize("text", HOSTILE_STRINGS + HOSTILE_CONTROL_STRINGS)
def test_what_a_customer_typed_is_kept_as_typed_in_json_and_inert_in_csv(cast, held, text):
    Message.objects.filter(pk=held.message.pk).update(body=text)
    export = services.export_customer_data(
        actor=cast.manager, customer=held.customer, reason="副本"
    )
    with zipfile.ZipFile(services.export_path(export)) as archive:
        assert json.loads(archive.read("conversations/messages.json"))[0]["body"] == text
        cell = archive.read("conversations/messages.csv").decode("utf-8-sig").splitlines()[1]
    assert "\x00" not in cell and "\x01" not in cell
    assert not re.search(r",[=+\-@\t]", cell)  # a formula prefix gets an apostrophe


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_a_missing_or_long_reason_is_refused_and_nothing_is_made(cast, held, text):
    client = sign_in(Client(), cast.manager)
    client.post(f"/privacy/customers/{held.customer.pk}/export/", {"export-reason": text})
    client.post(
        f"/privacy/customers/{held.customer.pk}/erase/",
        {"erase-reason": text, "erase-confirm": "on"},
    )
    api = api_client(cast.manager)
    body = {"customer_id": held.customer.pk, "reason": text}
    assert api.post("/api/v1/privacy/exports", body, "application/json").status_code in (400, 422)
    assert api.post("/api/v1/privacy/erasures", body, "application/json").status_code in (400, 422)
    assert not DataExport.objects.exists() and not ErasureRequest.objects.exists()
    assert Customer.objects.get(pk=held.customer.pk).name == "张伟"


def test_erasing_needs_the_confirmation(cast, held):
    client = sign_in(Client(), cast.manager)
    response = client.post(
        f"/privacy/customers/{held.customer.pk}/erase/", {"erase-reason": "申请"}, follow=True
    )
    assert "请填写原因并确认删除。" in response.content.decode()
    assert not ErasureRequest.objects.exists()
