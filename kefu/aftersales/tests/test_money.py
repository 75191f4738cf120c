"""After-sales money (issue 15 items 5–6): postage and compensation lines approved and paid by finance,
courier claims 快递理赔 and their monthly sheet, invoice requests 发票 — through the pages, by role and
by id, audited, on the customer's timeline, hostile text shown escaped, refusals changing nothing."""

import html

import pytest
from django.test import Client
from django.utils import timezone

from conftest import HOSTILE_STRINGS, sign_in
from kefu.accounts.models import AuditAction, AuditEntry
from kefu.aftersales import money, services
from kefu.aftersales.events import MoneyMoved
from kefu.aftersales.models import (
    ClaimState,
    CourierClaim,
    InvoiceRequest,
    InvoiceState,
    MoneyLine,
    MoneyLineState,
)
from kefu.aftersales.tests.test_cases import Cast
from kefu.core.errors import DomainError
from kefu.core.events import Delivery, subscribe, unsubscribe
from kefu.core.models import TimelineEntry
from kefu.core.statemachine import RoleRefused
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.orders.services.orders import clean_order, record_order
from kefu.orders.tests.conftest import order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(make_user):
    return Cast(make_user)


@pytest.fixture
def order(cast):
    create_customer(
        actor=cast.supervisor, name="王芳", contacts=ContactPoints({"mobile": ["13800138000"]})
    )
    made, _ = record_order(
        actor=cast.supervisor,
        data=clean_order(
            order_body(state="shipped", logistics_company="中通快递", tracking_number="ZT7788")
        ),
    )
    return made


@pytest.fixture
def case(cast, order):
    return services.open_case(
        actor=cast.agent, order=order, kind="return", reason="灯罩开裂", refund_fen=12800
    )


def valid_credit_code() -> str:
    return money.credit_code("91350100M000100Y4")


def test_a_compensation_asked_approved_and_paid_through_the_pages(cast, case):
    agent = sign_in(Client(), cast.agent)
    response = agent.post(
        f"/aftersales/{case.pk}/money/",
        {"kind": "compensation", "amount": "20.00", "reason": "灯罩破损，补偿"},
    )
    assert response.status_code == 302
    line = MoneyLine.objects.get(case=case)
    assert (line.kind, line.amount_fen, line.state) == ("compensation", 2000, "requested")
    page = agent.get(f"/aftersales/{case.pk}/").content.decode()
    assert "¥20.00" in page and "待财务审批" in page
    # the agent may not approve: 403 and nothing changed
    refused = agent.post(f"/aftersales/money/{line.pk}/move/", {"move": "approve"})
    assert refused.status_code == 403
    line.refresh_from_db()
    assert line.state == MoneyLineState.REQUESTED
    # warehouse staff neither: they do not even see the line
    warehouse = sign_in(Client(), cast.warehouse)
    assert (
        warehouse.post(f"/aftersales/money/{line.pk}/move/", {"move": "approve"}).status_code == 404
    )
    finance = sign_in(Client(), cast.finance)
    sheet = finance.get("/aftersales/finance/").content.decode()
    assert "¥20.00" in sheet and f'data-testid="sheet-approve-{line.pk}"' in sheet
    assert (
        finance.post(
            f"/aftersales/money/{line.pk}/move/",
            {"move": "approve", "next": "/aftersales/finance/"},
        )["Location"]
        == "/aftersales/finance/"
    )
    finance.post(f"/aftersales/money/{line.pk}/move/", {"move": "pay"})
    line.refresh_from_db()
    assert (line.state, line.decided_by, line.paid_at is not None) == (
        MoneyLineState.PAID,
        cast.finance,
        True,
    )
    steps = list(
        AuditEntry.objects.filter(action=AuditAction.FINANCE_DECISION).values_list(
            "details__step", flat=True
        )
    )
    assert steps == ["money_line.pay", "money_line.approve"]
    kinds = set(
        TimelineEntry.objects.filter(customer_id=case.customer_id).values_list("kind", flat=True)
    )
    assert {
        "aftersales.money_requested",
        "aftersales.money_approve",
        "aftersales.money_pay",
    } <= kinds
    # The day it was paid (after the cut-off the sheet opens on the next day's, as handed over).
    paid_day = timezone.localdate(line.paid_at)
    paid_sheet = finance.get(f"/aftersales/finance/?day={paid_day}").content.decode()
    assert 'data-testid="lines-paid-total">¥20.00' in paid_sheet


def test_money_lines_refuse_bad_amounts_and_declines_need_a_reason(cast, case):
    agent = sign_in(Client(), cast.agent)
    for amount in (
        "12.345",
        "-3",
        "abc",
        "0",
        "300.00",
    ):  # three decimals, negative, word, none, > paid
        agent.post(
            f"/aftersales/{case.pk}/money/",
            {"kind": "postage", "amount": amount, "reason": "运费"},
        )
    assert MoneyLine.objects.count() == 0
    line = money.add_money_line(
        actor=cast.agent, case=case, kind="postage", amount_fen=1200, reason="退货运费"
    )
    with pytest.raises(DomainError):
        money.move_money_line(actor=cast.finance, line=line, move="decline", reason="")
    line.refresh_from_db()
    assert line.state == MoneyLineState.REQUESTED
    with pytest.raises(RoleRefused):
        money.move_money_line(actor=cast.warehouse, line=line, move="approve")
    money.move_money_line(actor=cast.finance, line=line, move="decline", reason="买家已自付")
    line.refresh_from_db()
    assert (line.state, line.decline_reason) == (MoneyLineState.DECLINED, "买家已自付")


def test_a_courier_claim_filed_accepted_and_settled_on_the_monthly_sheet(cast, order):
    agent = sign_in(Client(), cast.agent)
    response = agent.post(
        f"/aftersales/claims/new/{order.pk}/",
        {"kind": "lost", "amount": "256.00", "description": "物流显示签收，买家未收到"},
    )
    claim = CourierClaim.objects.get()
    assert response["Location"] == f"/aftersales/claims/{claim.pk}/"
    assert (claim.courier, claim.tracking_number, claim.claimed_fen) == (
        "中通快递",
        "ZT7788",
        25600,
    )
    # a second claim on the same parcel while the first is open is refused
    agent.post(
        f"/aftersales/claims/new/{order.pk}/",
        {"kind": "damaged", "amount": "10", "description": "再次"},
    )
    assert CourierClaim.objects.count() == 1
    # more than claimed: refused, nothing changed
    agent.post(f"/aftersales/claims/{claim.pk}/", {"move": "accept", "amount": "300"})
    claim.refresh_from_db()
    assert claim.state == ClaimState.FILED
    agent.post(
        f"/aftersales/claims/{claim.pk}/",
        {"move": "accept", "amount": "200", "note": "按声明价值赔付", "reference": "ZTO-CL-1"},
    )
    # the agent may not record the money received: finance's step
    assert (
        agent.post(
            f"/aftersales/claims/{claim.pk}/", {"move": "settle", "amount": "200"}
        ).status_code
        == 403
    )
    finance = sign_in(Client(), cast.finance)
    finance.post(f"/aftersales/claims/{claim.pk}/", {"move": "settle", "amount": "200"})
    claim.refresh_from_db()
    assert (claim.state, claim.agreed_fen, claim.received_fen) == (ClaimState.SETTLED, 20000, 20000)
    month = timezone.localdate().strftime("%Y-%m")
    sheet = finance.get(f"/aftersales/claims/?month={month}").content.decode()
    assert 'data-testid="claims-claimed-total">¥256.00' in sheet
    assert 'data-testid="claims-received-total">¥200.00' in sheet
    assert AuditEntry.objects.filter(details__step="claim.settle").count() == 1
    # the warehouse and technicians do not see claims (404 by id, like a missing one)
    assert (
        sign_in(Client(), cast.warehouse).get(f"/aftersales/claims/{claim.pk}/").status_code == 404
    )
    assert (
        sign_in(Client(), cast.tech).get(f"/aftersales/claims/{claim.pk + 99}/").status_code == 404
    )


def test_a_claim_needs_a_shipped_parcel(cast, order):
    order.state = "paid"
    order.save(update_fields=["state"])
    with pytest.raises(DomainError):
        money.file_claim(
            actor=cast.agent, order=order, kind="lost", claimed_fen=100, description="丢了"
        )
    assert CourierClaim.objects.count() == 0


def test_tax_numbers_are_checked():
    code = valid_credit_code()
    assert money.clean_tax_number(code.lower()) == code
    assert money.clean_tax_number("110108799999999") == "110108799999999"  # before 2015
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    for bad in (wrong, "123", "91350100M000100YI3", "<script>"):
        with pytest.raises(DomainError):
            money.clean_tax_number(bad)


def test_an_invoice_requested_and_issued(cast, order):
    code = valid_credit_code()
    agent = sign_in(Client(), cast.agent)
    # a special invoice without a tax number, a wrong tax number, too much: refused, nothing stored
    for data in (
        {"kind": "special", "title": "南宁灯饰有限公司", "tax_number": ""},
        {"kind": "special", "title": "南宁灯饰有限公司", "tax_number": code[:-1] + "Z"},
        {"kind": "ordinary", "title": "王芳", "amount": "999.00"},
        {"kind": "ordinary", "title": "王芳", "email": "not-an-address"},
    ):
        page = agent.post(f"/aftersales/invoices/new/{order.pk}/", data).content.decode()
        assert 'data-testid="form-error"' in page
    assert InvoiceRequest.objects.count() == 0
    response = agent.post(
        f"/aftersales/invoices/new/{order.pk}/",
        {"kind": "special", "title": "南宁灯饰有限公司", "tax_number": code, "email": "a@b.cn"},
    )
    invoice = InvoiceRequest.objects.get()
    assert response["Location"] == f"/aftersales/invoices/{invoice.pk}/"
    assert (invoice.amount_fen, invoice.state, invoice.due_at > timezone.now()) == (
        25600,
        InvoiceState.REQUESTED,
        True,
    )
    assert agent.post(f"/aftersales/invoices/{invoice.pk}/", {"move": "issue"}).status_code == 403
    finance = sign_in(Client(), cast.finance)
    finance.post(f"/aftersales/invoices/{invoice.pk}/", {"move": "issue", "invoice_number": "12"})
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.REQUESTED
    finance.post(
        f"/aftersales/invoices/{invoice.pk}/", {"move": "issue", "invoice_number": "12345678"}
    )
    invoice.refresh_from_db()
    assert (invoice.state, invoice.invoice_number, invoice.decided_by) == (
        InvoiceState.ISSUED,
        "12345678",
        cast.finance,
    )
    assert AuditEntry.objects.filter(
        details__step="invoice.issue", object_id=str(invoice.pk)
    ).exists()
    assert TimelineEntry.objects.filter(kind="aftersales.invoice_issue").count() == 1
    assert "12345678" in finance.get("/aftersales/invoices/").content.decode()
    assert (
        sign_in(Client(), cast.warehouse).get(f"/aftersales/invoices/{invoice.pk}/").status_code
        == 404
    )
    assert sign_in(Client(), cast.warehouse).get("/aftersales/invoices/").status_code == 404


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_text_on_money_pages_is_shown_escaped(cast, case, order, hostile):
    money.add_money_line(
        actor=cast.agent, case=case, kind="postage", amount_fen=100, reason=hostile
    )
    claim = money.file_claim(
        actor=cast.agent, order=order, kind="damaged", claimed_fen=100, description=hostile
    )
    invoice = money.request_invoice(
        actor=cast.agent, order=order, kind="ordinary", title=hostile, amount_fen=100
    )
    agent = sign_in(Client(), cast.agent)
    for url in (
        f"/aftersales/{case.pk}/",
        f"/aftersales/claims/{claim.pk}/",
        f"/aftersales/invoices/{invoice.pk}/",
        "/aftersales/invoices/",
        "/aftersales/finance/",
    ):
        response = agent.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        stored = invoice.title
        assert stored, "the title keeps its visible text"
        if "<" in hostile or '"' in hostile:
            assert hostile not in page
        assert html.escape(stored) in page


def test_money_steps_emit_money_moved_after_commit(cast, case, django_capture_on_commit_callbacks):
    got: list[MoneyMoved] = []
    subscribe(MoneyMoved, got.append, mode=Delivery.INLINE)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            line = money.add_money_line(
                actor=cast.agent, case=case, kind="postage", amount_fen=800, reason="退货运费"
            )
        with django_capture_on_commit_callbacks(execute=True):
            money.move_money_line(actor=cast.finance, line=line, move="approve")
    finally:
        unsubscribe(MoneyMoved, got.append)
    assert [(e.record, e.record_id, e.move, e.state, e.actor_id) for e in got] == [
        ("money_line", line.pk, "request", "requested", cast.agent.pk),
        ("money_line", line.pk, "approve", "approved", cast.finance.pk),
    ]
