"""A customer merge moves the merged-away customer's after-sales cases and reviews to the survivor."""

from kefu.core.events import Delivery, subscribe
from kefu.customers.events import CustomersMerged


def follow_merge(event: CustomersMerged) -> None:
    from kefu.aftersales.models import AfterSalesCase, Review

    AfterSalesCase.objects.filter(customer_id=event.merged_id).update(customer_id=event.survivor_id)
    Review.objects.filter(customer_id=event.merged_id).update(customer_id=event.survivor_id)


def register() -> None:
    subscribe(CustomersMerged, f"{__name__}.follow_merge", mode=Delivery.TASK)
