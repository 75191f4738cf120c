"""The board's rows, built in one pass (dispatch/views.py: board_rows_html): the same cells as the
template wrote them, every value escaped."""

import html

import pytest

from conftest import HOSTILE_STRINGS
from kefu.dispatch.models import WorkOrder
from kefu.dispatch.tests.conftest import coming_window
from kefu.dispatch.tests.test_pages import _form, client_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def agent_serves_the_customer(cast, customer):
    customer.owner = cast.agent
    customer.save(update_fields=["owner"])


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_board_rows_show_hostile_text_escaped(cast, customer, text):
    client_of(cast.agent).post(
        "/dispatch/new/",
        _form(coming_window(), cast.technician, customer=customer.pk, area=text),
    )
    order = WorkOrder.objects.get()
    page = (
        client_of(cast.supervisor)
        .get(f"/dispatch/board/?day={order.appointment_start.date()}")
        .content.decode()
    )
    row = page.split(f'data-testid="board-row-{order.pk}"')[1].split("</tr>")[0]
    assert html.escape(order.area) in row
    if "<" in text:
        assert text not in page
    assert f'value="{order.pk}"' in row  # assigned: may be reassigned, so it has a tick
    assert order.number in row and html.escape(customer.name) in row
