"""Erasure reaches every app that declares personal data (kefu/*/personal_data.py) and every search
(issue 18.4): 张伟 has records in each of them (conftest.held_everywhere). Their copy holds each
app's part; after the erasure no record keeps their mobile, name, address or e-mail while the
records and the figures the reports count stay; and no search finds them, through the engine, the
list pages or the API."""

import datetime as dt
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.aftersales.models import (
    AfterSalesCase,
    CasePhoto,
    CourierClaim,
    InvoiceRequest,
    MoneyLine,
    Review,
)
from kefu.aftersales.selectors import case_figures
from kefu.automation import services as automation
from kefu.automation.models import Delivery, DeliveryState, Outcome, RuleLog
from kefu.core import personal_data as pd
from kefu.core import search
from kefu.core.errors import Conflict
from kefu.customers.models import Customer, ImportJob
from kefu.customers.services.transfer import files, readers
from kefu.dispatch.models import WorkOrder, WorkOrderPhoto
from kefu.dispatch.selectors import dispatch_figures
from kefu.feedback.models import FeedbackReport, Problem, Screenshot
from kefu.knowledge.models import MessageFlag, PastAnswer
from kefu.notifications.models import Notification
from kefu.orders.models import BankTransfer, ChangeRequest, Order, OrderImport
from kefu.orders.selectors import order_figures
from kefu.orders.services import importing
from kefu.orders.tests.test_import import ROWS
from kefu.privacy import services
from kefu.privacy.models import ErasureState
from kefu.privacy.tests.conftest import ADDRESS, BUYER_ID, EMAIL, MOBILE, NAME
from kefu.quality.models import Finding, Inspection
from kefu.sms.models import SmsMessage, SmsStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services.tickets import create_ticket
from kefu.visits.models import CareMessage, SurveyAnswer, VisitRecord
from kefu.visits.selectors import survey_results, visit_figures

pytestmark = pytest.mark.django_db

# What identifies 张伟, as typed into the records (the address by its street, as agents search).
TERMS = {
    "mobile": MOBILE,
    "name": NAME,
    "address": "民族大道100号",
    "email": EMAIL,
    "buyer id": BUYER_ID,
}


def erase(customer, manager, capture) -> None:
    with capture(execute=True):
        erasure = services.request_erasure(actor=manager, customer=customer, reason="客户书面申请")
    erasure.refresh_from_db()
    assert erasure.state == ErasureState.DONE


# --- the copy ----------------------------------------------------------------------------------

# Per app: a file of the copy and what it must hold of 张伟's records there.
IN_THE_COPY = {
    "customers": ("customer.json", lambda h: {"name": NAME, "mobile": "+86" + MOBILE}),
    "tickets": ("tickets.json", lambda h: {"number": h.ticket.number}),
    "conversations": ("messages.json", lambda h: {"body": "我的手机是13912345678"}),
    "sms": ("sms.json", lambda h: {"body": "张伟您好"}),
    "telephony": ("calls.json", lambda h: {"notes": "客户说地址是民族大道100号"}),
    "orders": (
        "orders.json",
        lambda h: {"receiver_mobile": "+86" + MOBILE, "address": ADDRESS, "buyer_id": BUYER_ID},
    ),
    "aftersales": ("aftersales_cases.json", lambda h: {"reason": h.case.reason}),
    "dispatch": ("work_orders.json", lambda h: {"address": ADDRESS, "problem": "张伟家吊灯不亮"}),
    "feedback": ("feedback.json", lambda h: {"title": h.report.title, "device": "iPhone 15"}),
    "knowledge": ("past_answers.json", lambda h: {"answer": "好的张伟，已为您加急"}),
    "quality": ("quality_findings.json", lambda h: {"matched": "你自己看"}),
    "visits": ("visit_records.json", lambda h: {"product_opinion": "张伟说灯偏暗"}),
    "notifications": ("notifications.json", lambda h: {"kind": "knowledge.message_flagged"}),
    "automation": (
        "automation_log.json",
        lambda h: {"subject_kind": "ticket", "subject_id": h.notified.pk, "outcome": "partly"},
    ),
}
# Further files each app's part must hold a row of (and, for stored files, a folder).
ALSO_IN_THE_COPY = {
    "orders/change_requests.json",
    "orders/bank_transfers.json",
    "aftersales/reviews.json",
    "aftersales/money_lines.json",
    "aftersales/courier_claims.json",
    "aftersales/invoices.json",
    "dispatch/technician_sms.json",
    "knowledge/message_flags.json",
    "visits/return_visits.json",
    "visits/survey_answers.json",
    "visits/care_messages.json",
    "automation/automation_deliveries.json",
}
FOLDERS = (
    "aftersales/aftersales_photos/",
    "dispatch/work_order_photos/",
    "feedback/feedback_screenshots/",
)


def test_every_app_that_declares_personal_data_is_tested_here():
    assert {h.name for h in pd.holders()} == set(IN_THE_COPY)


@pytest.mark.parametrize("app", sorted(IN_THE_COPY))
def test_the_copy_holds_each_apps_part(cast, held_everywhere, app):
    export = services.export_customer_data(
        actor=cast.manager, customer=held_everywhere.customer, reason="客户要求副本"
    )
    file_name, expected = IN_THE_COPY[app]
    with zipfile.ZipFile(services.export_path(export)) as archive:
        names = set(archive.namelist())
        rows = json.loads(archive.read(f"{app}/{file_name}"))
        also = {
            name: json.loads(archive.read(name))
            for name in ALSO_IN_THE_COPY
            if name.startswith(f"{app}/")
        }
    wanted = expected(held_everywhere)
    assert any(wanted.items() <= row.items() for row in rows), rows
    assert all(also.values()), also  # a row in each
    for folder in FOLDERS:
        if folder.startswith(f"{app}/"):
            assert any(name.startswith(folder) for name in names), names


# --- erasure of the records, statistics kept ---------------------------------------------------


def figures(held) -> dict[str, Any]:
    """What the reports count over today, from each app's figures."""
    start = timezone.now() - dt.timedelta(days=1)
    end = timezone.now() + dt.timedelta(days=1)
    return {
        "orders": order_figures(start=start, end=end),
        "aftersales": case_figures(start=start, end=end),
        "dispatch": dispatch_figures(start=start, end=end),
        "visits": visit_figures(start=start.date(), end=end.date()),
        "surveys": survey_results(held.survey),
        "quality": sorted(Inspection.objects.values_list("channel", "score", "complained")),
        "findings": sorted(Finding.objects.values_list("kind", "points")),
        "sms": sorted(SmsMessage.objects.values_list("status", "template_code")),
    }


def test_erasure_blanks_every_apps_records_and_keeps_the_figures(
    cast, held_everywhere, django_capture_on_commit_callbacks
):
    h = held_everywhere
    before = figures(h)
    assert before["orders"]["amount_fen"] == 25600 and before["dispatch"]["visited"] == 1
    erase(h.customer, cast.manager, django_capture_on_commit_callbacks)
    assert figures(h) == before

    order = Order.objects.get(pk=h.order.pk)
    assert (order.buyer_id, order.receiver_name, order.receiver_mobile, order.address) == (
        ("", "", "", "")
    )
    assert (order.amount_fen, order.state, order.customer_id) == (25600, "received", h.customer.pk)
    change = ChangeRequest.objects.get(pk=h.change.pk)
    assert (change.new_address, change.reason, change.kind) == ("", "", "address")
    assert BankTransfer.objects.get(pk=h.transfer.pk).payer == pd.ERASED

    case = AfterSalesCase.objects.get(pk=h.case.pk)
    assert (case.reason, case.log, case.refund_fen) == (pd.ERASED, [], 12800)
    assert not CasePhoto.objects.exists()
    assert MoneyLine.objects.get(pk=h.money_line.pk).reason == pd.ERASED
    claim = CourierClaim.objects.get(pk=h.claim.pk)
    assert (claim.description, claim.claimed_fen) == (pd.ERASED, 5000)
    invoice = InvoiceRequest.objects.get(pk=h.invoice.pk)
    assert (invoice.title, invoice.email) == (pd.ERASED, "")
    review = Review.objects.get(pk=h.review.pk)
    assert (review.text, review.contact_note, review.rating) == (pd.ERASED, "", "negative")

    work_order = WorkOrder.objects.get(pk=h.work_order.pk)
    assert (work_order.contact_mobile, work_order.address, work_order.problem) == (
        "",
        pd.ERASED,
        pd.ERASED,
    )
    assert (work_order.completion_note, work_order.confirmed_by, work_order.visit_outcome) == (
        ("", "", "")
    )
    assert (work_order.state, work_order.satisfaction) == ("visited", 5)
    assert not WorkOrderPhoto.objects.exists()
    to_technician = SmsMessage.objects.get(to="+8613900000001")  # told the name and address
    assert (to_technician.body, to_technician.params) == (pd.ERASED, {})

    report = FeedbackReport.objects.get(pk=h.report.pk)
    assert (report.title, report.steps, report.device) == (pd.ERASED, "", "")
    assert not Screenshot.objects.exists()
    problem = Problem.objects.get(pk=h.problem.pk)  # it had taken the report's title
    assert (problem.title, problem.state) == (pd.ERASED, "open")
    assert problem.reports.count() == 1

    record = VisitRecord.objects.get(pk=h.visit_record.pk)
    assert (record.product_opinion, record.suggestions, record.satisfaction) == (
        "",
        "",
        "average",
    )
    answer = SurveyAnswer.objects.get(pk=h.answer.pk)
    assert (answer.answers, answer.score) == ({}, 4)
    assert CareMessage.objects.get(customer=h.customer).params == {}

    quoting = Finding.objects.exclude(matched="")
    assert {(f.kind, f.matched) for f in quoting} == {
        ("apology", pd.ERASED),
        ("forbidden", pd.ERASED),  # in the call's notes
    }
    assert "你自己看" not in "".join(f.detail for f in Finding.objects.all())

    past = PastAnswer.objects.get(conversation_id=h.chat.pk)
    assert (past.question, past.answer) == (pd.ERASED, pd.ERASED)
    assert MessageFlag.objects.get(conversation_id=h.chat.pk).excerpt == pd.ERASED
    # The supervisors' notices quoted the flagged message; the technician's named the customer.
    told = Notification.objects.filter(kind__in=["knowledge.message_flagged", "dispatch.assigned"])
    assert set(told.values_list("title", flat=True)) == {pd.ERASED}
    assert told.filter(read_at__isnull=True).count() == told.count() > 1


def test_erasure_blanks_what_rules_sent_and_logged_staff_notes_sms_errors_and_import_reports(
    cast, held_everywhere, django_capture_on_commit_callbacks
):
    h = held_everywhere
    # Another customer's ticket sets the rule off too: what was sent about it stays.
    other = Customer.objects.create(name="李娜")
    automation.set_rule_enabled(actor=cast.manager, rule_id=h.rule.pk, enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        theirs = create_ticket(
            actor=cast.agent, type="consultation", subject="李娜的订单", customer_id=other.pk
        )
    automation.set_rule_enabled(actor=cast.manager, rule_id=h.rule.pk, enabled=False)
    kept = {d.pk: d.body for d in Delivery.objects.filter(body__contains="李娜的订单")}
    assert len(kept) == 2

    erase(h.customer, cast.manager, django_capture_on_commit_callbacks)

    log = RuleLog.objects.get(subject_kind="ticket", subject_id=h.notified.pk)
    assert log.outcome == Outcome.PARTLY
    assert [(r["ok"], r["text"]) for r in log.results] == [
        (False, pd.ERASED),
        (True, pd.ERASED),
        (True, pd.ERASED),
    ]
    assert all(r["action"] for r in log.results)
    to_webhook = Delivery.objects.get(webhook=h.webhook, body__contains=f'"id": {h.notified.pk},')
    assert json.loads(to_webhook.body) == {
        "event": "automation.ticket_created",
        "data": {"id": h.notified.pk, "kind": "ticket", "rule": h.rule.name, "title": pd.ERASED},
    }
    assert (to_webhook.state, to_webhook.attempts) == (DeliveryState.FAILED, 1)
    to_robot = Delivery.objects.exclude(pk__in=kept).get(robot=h.robot)
    assert json.loads(to_robot.body) == {"msgtype": "markdown", "markdown": {"content": pd.ERASED}}
    assert {d.pk: d.body for d in Delivery.objects.filter(pk__in=kept)} == kept
    assert RuleLog.objects.get(subject_id=theirs.pk).results != log.results

    ticket = Ticket.objects.get(pk=h.ticket.pk)
    assert (ticket.plan_return_reason, ticket.summary_evaluation) == (pd.ERASED, pd.ERASED)
    assert Ticket.objects.get(pk=h.notified.pk).summary_evaluation == ""  # none was written

    refused = SmsMessage.objects.get(template_code="received")
    assert (refused.status, refused.error) == (SmsStatus.FAILED, pd.ERASED)

    job = ImportJob.objects.get(pk=h.import_job.pk)
    assert job.report == [{"row": 2, "name": pd.ERASED, "errors": [pd.ERASED]}]
    assert (job.status, job.error_rows) == ("checked", 1)


# Rows that may still name the customer after the erasure, and why.
KEPT = {
    "accounts.user",  # staff, not the customer (a generated name may happen to be 张伟)
}


def leftovers() -> dict[str, list[str]]:
    """Every stored text (and JSON) value in the database that holds one of TERMS."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in KEPT:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for values in model._default_manager.values_list(*fields):
            text = json.dumps(values, ensure_ascii=False, default=str)
            hits = [term for term in TERMS.values() if term in text]
            if hits:
                found.setdefault(label, []).extend(hits)
    return found


# Files under DATA_DIR or MEDIA_ROOT that may still name the customer, and why.
KEPT_FILES = {
    "sms.log",  # the console SMS backend's outbox (development: nothing is sent; not for production)
}


def file_leftovers() -> dict[str, list[str]]:
    """Every file kept on disk (uploads waiting to be imported and what their checks wrote beside
    them, stored photos, built files) that holds one of TERMS; a zip (.xlsx) by its members."""
    found: dict[str, list[str]] = {}
    for root in (Path(settings.DATA_DIR), Path(settings.MEDIA_ROOT)):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = str(path.relative_to(root))
            if name in KEPT_FILES:
                continue
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    raw = b"".join(archive.read(member) for member in archive.namelist())
            else:
                raw = path.read_bytes()
            text = raw.decode("utf-8", errors="replace")
            hits = [term for term in TERMS.values() if term in text]
            if hits:
                found[name] = hits
    return found


def test_after_the_erasure_no_stored_value_anywhere_holds_the_customers_details(
    cast, held_everywhere, django_capture_on_commit_callbacks
):
    before = leftovers()
    for label in (
        "customers.customer",
        "orders.order",
        "dispatch.workorder",
        "knowledge.pastanswer",
        "automation.rulelog",  # the provider's error, quoted as the SMS action's result
        "automation.delivery",  # the ticket's subject, sent to the webhook and the robot
        "sms.smsmessage",
        "customers.importjob",  # a checked file's row that gave 张伟's mobile to someone else
    ):
        assert label in before, before  # the scan sees them
    files = file_leftovers()
    h = held_everywhere
    for name in (
        h.import_job.stored_path,  # the customer file's row with 张伟's mobile
        h.order_import.stored_path,  # the order file's row of 张伟's order
    ):
        assert name in files, files  # the scan sees them
    erase(h.customer, cast.manager, django_capture_on_commit_callbacks)
    assert leftovers() == {}
    assert file_leftovers() == {}


def test_erasure_blanks_the_customers_rows_in_files_waiting_to_be_imported(
    cast, held_everywhere, django_capture_on_commit_callbacks
):
    """Uploads kept until their import is confirmed lose 张伟's rows; the other rows stay, under
    the same row numbers, and the checks' counts follow (confirming the old count is refused)."""
    h = held_everywhere
    customers_file = files.stored_file(h.import_job)
    assert ImportJob.objects.get(pk=h.import_job.pk).valid_rows == 1
    assert h.order_import.order_count == 2 and h.order_import.total_rows == 2
    erase(h.customer, cast.manager, django_capture_on_commit_callbacks)

    _n, rows = readers.open_rows(customers_file)
    assert list(rows) == [["姓名", "手机"], ["", ""], ["王五", "13700000000"]]
    job = ImportJob.objects.get(pk=h.import_job.pk)
    assert (job.status, job.valid_rows, job.error_rows) == ("checked", 1, 1)
    assert files.header_of(job)["samples"] == [["", ""], ["王五", "13700000000"]]
    assert '"王五"' in files.valid_rows_file(job).read_text(encoding="utf-8")
    assert files.pairs_file(job).read_text(encoding="utf-8") == "3\tmobile\t+8613700000000\n"

    order_import = OrderImport.objects.get(pk=h.order_import.pk)
    _n, rows = readers.open_rows(importing.job_path(order_import))
    header, blanked, kept = list(rows)
    assert (header[:2], set(blanked), kept[:3]) == (["平台", "订单号"], {""}, ROWS[2][:3])
    assert (order_import.status, order_import.order_count, order_import.total_rows) == (
        "checked",
        1,
        1,
    )
    with pytest.raises(Conflict):
        importing.confirm_order_import(actor=cast.supervisor, job=order_import, order_count=2)
    with django_capture_on_commit_callbacks(execute=True):
        importing.confirm_order_import(actor=cast.supervisor, job=order_import, order_count=1)
    assert not Order.objects.filter(number="T3003").exists()
    assert Order.objects.filter(number=ROWS[2][1]).exists()


# --- search --------------------------------------------------------------------------------------


def engine_hits() -> dict[tuple[str, str], int]:
    """What each registered kind of search document finds for each of TERMS."""
    return {
        (kind.name, what): search.filter(kind.objects(), kind, term).count()
        for kind in search.kinds()
        for what, term in TERMS.items()
    }


def test_no_kind_of_search_document_finds_the_erased_customer(
    cast, held_everywhere, django_capture_on_commit_callbacks
):
    before = engine_hits()
    for found_by, count in [
        (("tickets.ticket", "mobile"), 2),  # the held ticket and the one the rule ran on
        (("tickets.ticket", "name"), 2),
        (("knowledge.pastanswer", "name"), 1),
        (("knowledge.pastanswer", "address"), 1),
        (("knowledge.pastanswer", "email"), 1),
    ]:
        assert before[found_by] == count, (found_by, before)
    erase(held_everywhere.customer, cast.manager, django_capture_on_commit_callbacks)
    assert {key: n for key, n in engine_hits().items() if n} == {}
    for kind in search.kinds():  # and a rebuild brings nothing back
        search.rebuild(kind)
    assert {key: n for key, n in engine_hits().items() if n} == {}


def pages_and_api(h) -> list[tuple[str, str, Any]]:
    """(where, the search's URL, how a hit on 张伟's record shows in the answer)."""
    html = re.escape
    return [
        ("customers page", "/customers/", html(f'href="/customers/{h.customer.pk}/"')),
        ("customers API", "/api/v1/customers", ("id", h.customer.pk)),
        ("tickets page", "/tickets/", html(f'href="/tickets/{h.ticket.pk}/"')),
        ("tickets API", "/api/v1/tickets", ("id", h.ticket.pk)),
        ("orders page", "/orders/", html(f'href="/orders/{h.order.pk}/"')),
        ("orders API", "/api/v1/orders", ("id", h.order.pk)),
        ("after-sales page", "/aftersales/", html(f'data-testid="case-row-{h.case.pk}"')),
        ("dispatch page", "/dispatch/", html(f'href="/dispatch/{h.work_order.pk}/"')),
        ("feedback page", "/feedback/", html(f'href="/feedback/problems/{h.problem.pk}/"')),
        ("sms page", "/sms/", html('data-testid="sms-row"')),
        ("calls page", "/telephony/", html(f'href="/telephony/{h.checked_call.pk}/"')),
        ("calls API", "/api/v1/calls", ("id", h.checked_call.pk)),
        (
            "agent assist",
            f"/knowledge/assist/ticket/{h.ticket.pk}/",
            html('data-testid="suggested-answer"'),
        ),
    ]


def searches(client, h) -> dict[tuple[str, str], bool]:
    """Whether each page and API finds 张伟's record by each of TERMS."""
    found = {}
    for where, url, hit in pages_and_api(h):
        for what, term in TERMS.items():
            response = client.get(url, {"q": term})
            assert response.status_code == 200, (where, what, response.status_code)
            if isinstance(hit, tuple):
                key, value = hit
                found[(where, what)] = any(i[key] == value for i in response.json()["items"])
            else:
                found[(where, what)] = bool(re.search(hit, response.content.decode()))
    return found


def test_no_list_page_or_api_finds_the_erased_customer(
    cast, held_everywhere, django_capture_on_commit_callbacks
):
    h = held_everywhere
    client = sign_in(Client(), cast.manager)
    before = searches(client, h)
    for found_by in [
        ("customers page", "mobile"),
        ("customers page", "name"),
        ("customers page", "email"),
        ("customers API", "mobile"),
        ("tickets page", "mobile"),
        ("tickets API", "name"),
        ("orders page", "buyer id"),
        ("orders API", "buyer id"),
        ("after-sales page", "buyer id"),
        ("dispatch page", "name"),
        ("feedback page", "mobile"),
        ("sms page", "mobile"),
        ("sms page", "name"),
        ("calls page", "mobile"),
        ("calls API", "name"),
        ("agent assist", "address"),
    ]:
        assert before[found_by], found_by
    erase(h.customer, cast.manager, django_capture_on_commit_callbacks)
    assert {key for key, hit in searches(client, h).items() if hit} == set()
