"""Customer archive API, supervisor work: merge two customers."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.accounts.roles import Perm
from kefu.core.errors import Conflict
from kefu.customers import selectors
from kefu.customers.api import customer_out
from kefu.customers.schemas import CustomerOut
from kefu.customers.services import merging

router = Router(tags=["customers"])


class MergeIn(Schema):
    duplicate_id: (
        int  # the customer that is merged away; its id answers with the survivor afterwards
    )


@router.post(
    "/customers/{customer_id}/merge",
    response=CustomerOut,
    summary="Merge another customer into this one (the survivor); audited",
)
def merge_customer(request, customer_id: int, body: MergeIn):
    if not request.user.has_perm(Perm.ASSIGN_WORK):
        raise PermissionDenied
    survivor = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    duplicate = selectors.access_customer(
        actor=request.user, customer_id=body.duplicate_id, request=request
    )
    if survivor.pk != customer_id or duplicate.pk != body.duplicate_id:
        # access_customer answers a merged-away id with its survivor: this pair is out of date.
        raise Conflict(_("One of these customers has already been merged; reload the page."))
    survivor = merging.merge_customers(
        actor=request.user, survivor=survivor, duplicate=duplicate, request=request
    )
    return customer_out(survivor)
