"""What the orders app does when the archive changes: a new customer, or one whose mobile changed,
gets the orders that came in before them; a merge moves the orders to the survivor."""

from kefu.core.events import Delivery, subscribe
from kefu.customers.events import CustomerCreated, CustomerIdentified, CustomersMerged


def link_orders(event: CustomerCreated | CustomerIdentified) -> None:
    from kefu.orders.services.orders import link_orders_of_customer

    link_orders_of_customer(customer_id=event.customer_id)


def follow_merge(event: CustomersMerged) -> None:
    from kefu.orders.services.orders import move_orders_to_survivor

    move_orders_to_survivor(merged_id=event.merged_id, survivor_id=event.survivor_id)


def register() -> None:
    for event_type in (CustomerCreated, CustomerIdentified):
        subscribe(event_type, f"{__name__}.link_orders", mode=Delivery.TASK)
    subscribe(CustomersMerged, f"{__name__}.follow_merge", mode=Delivery.TASK)
