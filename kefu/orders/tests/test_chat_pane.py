"""The chat workspace's customer pane shows the linked customer's orders (issue 15 item 1)."""

import pytest

from kefu.conversations.tests.conftest import make_agent, make_inbox
from kefu.conversations.tests.test_views import HX, client_of, served_by
from kefu.customers.models import Customer
from kefu.orders.services.orders import clean_order, record_order
from kefu.orders.tests.conftest import order_body

pytestmark = pytest.mark.django_db


def test_the_chat_pane_loads_the_customers_orders(cast):
    agent = make_agent()
    conversation = served_by(agent, make_inbox(), name="王芳")
    customer = Customer.objects.create(name="王芳", owner=agent)
    client = client_of(agent)
    client.post(f"/conversations/{conversation.pk}/customer/link/", {"customer": customer.pk}, **HX)
    order, _ = record_order(
        actor=cast.supervisor, data=clean_order(order_body(buyer_id="", receiver_mobile=""))
    )
    order.customer = customer
    order.save()
    chat = client.get(f"/conversations/{conversation.pk}/", **HX).content.decode()
    assert f'hx-get="/orders/customer/{customer.pk}/pane/"' in chat
    pane = client.get(f"/orders/customer/{customer.pk}/pane/", **HX).content.decode()
    assert order.number in pane and "¥256.00" in pane and f"/orders/{order.pk}/" in pane


def test_a_ticket_shows_its_customers_orders(cast, customer, make_order, signed_in):
    from kefu.tickets.services.tickets import create_ticket
    from kefu.tickets.states import TicketType

    order = make_order()
    ticket = create_ticket(
        actor=cast.supervisor,
        type=TicketType.AFTER_SALES,
        subject="灯罩开裂",
        content="收到货灯罩开裂",
        customer_id=customer.pk,
    )
    client = signed_in(cast.supervisor)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'hx-get="/orders/customer/{customer.pk}/pane/"' in page
    assert order.number in client.get(f"/orders/customer/{customer.pk}/pane/").content.decode()
