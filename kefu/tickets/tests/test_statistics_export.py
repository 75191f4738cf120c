"""The complaint statistics export (投诉分类统计表 as .xlsx) through its page: category and department
names from the hostile corpus are written as inert text, never as formulas."""

import pytest
from django.test import Client

from conftest import sign_in
from kefu.tickets.models import Ticket, TicketCategory
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType
from kefu.tickets.tests.conftest import NOW
from tests.factories import DepartmentFactory
from tests.spreadsheets import HOSTILE_EXPORT_STRINGS, formula_cells, inert, xlsx_rows

pytestmark = pytest.mark.django_db

URL = "/tickets/statistics/?since=2026-01&until=2026-12&format=xlsx"


def test_hostile_category_and_department_names_are_inert_cells(cast, customer):
    for i, hostile in enumerate(HOSTILE_EXPORT_STRINGS):
        category = TicketCategory.objects.create(name=hostile)
        ticket = create_ticket(
            actor=cast.agent,
            type=TicketType.COMPLAINT,
            subject="屏幕有亮点",
            content="新买的显示器屏幕有三个亮点",
            customer_id=customer.pk,
            category_id=category.pk,
            now=NOW,
        )
        department = DepartmentFactory(code=f"hostile{i}", name=hostile)
        Ticket.objects.filter(pk=ticket.pk).update(department=department)

    response = sign_in(Client(), cast.manager).get(URL)

    assert response.status_code == 200
    assert formula_cells(response) == []
    rows = [  # the data rows: each month is followed by its 小计 row, and 合计 comes last
        r for r in xlsx_rows(response)[1:] if r[1] != "小计" and r[0] != "合计"
    ]
    expected = sorted(inert(h) for h in HOSTILE_EXPORT_STRINGS)
    assert sorted(row[1] for row in rows) == expected
    assert sorted(row[2] for row in rows) == expected
