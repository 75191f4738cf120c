"""Reads of the call records, and who may see which call.

Supervisors, managers (Perm.ASSIGN_WORK) and inspectors (Perm.INSPECT_QUALITY) see every call.
Agents see the calls they took or entered, and the calls of customers they may see. Another call
answers exactly like a missing one (404).
"""

from django.apps import apps
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from kefu.accounts.masking import mask_mobile, mask_phone
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.querysets import are_many, filter_given, narrow_to
from kefu.customers.selectors import customer_ids_visible_to, visible_customer_probe
from kefu.telephony.models import Call


def sees_all_calls(user: User) -> bool:
    return user.has_perm(Perm.ASSIGN_WORK) or user.has_perm(Perm.INSPECT_QUALITY)


def visible_calls(user: User) -> QuerySet[Call]:
    qs = Call.objects.all()
    if sees_all_calls(user):
        return qs
    if not user.has_perm(Perm.SERVE_CUSTOMERS):
        return qs.none()
    customers = customer_ids_visible_to(user)
    mine = Q(agent=user) | Q(created_by=user)
    # An agent's calls page took 8–18 s (bench/README.md, pages): the customers they may see were
    # probed one by one, then every matching call sorted. With few, the calls come from index
    # look-ups of the customers' ids; a busy agent's list walks the calls newest first
    # (core.querysets.narrow_to) and probes each call's customer (101 ms of CPU a page at 1,000,000
    # calls when the 55,000 ids they may see were read into a set first, each request).
    many = are_many(*customers, qs.filter(agent=user))
    if many:
        return narrow_to(qs, mine | visible_customer_probe(user), many=True)
    for ids in customers:
        mine |= Q(customer_id__in=ids)
    return narrow_to(qs, mine, many=False)


def access_call(*, actor: User, call_id: int) -> Call:
    call = (
        visible_calls(actor)
        .select_related("customer", "agent", "created_by")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise Http404
    return call


def search_calls(
    *,
    actor: User,
    q: str = "",
    direction: str = "",
    outcome: str = "",
    agent_id: int | None = None,
    since=None,
    until=None,
    customer_id: int | None = None,
) -> QuerySet[Call]:
    qs = visible_calls(actor)
    q = q.strip().replace(" ", "").replace("-", "")
    if q:
        qs = (
            qs.filter(number__endswith=q)
            if q.lstrip("+").isdigit()
            else qs.filter(customer__name__startswith=q)
        )
    qs = filter_given(
        qs,
        direction=direction,
        outcome=outcome,
        agent_id=agent_id,
        customer_id=customer_id,
        started_at__gte=since,
        started_at__lt=until,
    )
    # Newest call first by when it happened: a call entered afterwards takes its place by time.
    return qs.select_related("customer", "agent").order_by("-started_at", "-id")


def masked_number(number: str) -> str:
    if not number.startswith("+"):
        return number
    return mask_mobile(number) if number.startswith("+861") else mask_phone(number)


def open_ticket_count(customer_id: int) -> int:
    if not apps.is_installed("kefu.tickets"):
        return 0
    from kefu.tickets.models import Ticket
    from kefu.tickets.states import OPEN_STATES

    return Ticket.objects.filter(customer_id=customer_id, state__in=OPEN_STATES).count()


def caller_card(call_id: int) -> dict | None:
    """What an agent's screen shows while a call rings: the caller's customer card (masked), or the
    number and a link to record the call when the number is unknown."""
    call = Call.objects.select_related("customer").filter(pk=call_id).first()
    if call is None:
        return None
    card = {
        "event": "telephony.incoming_call",
        "call_id": call.pk,
        "number": masked_number(call.number),
        "call_url": reverse("telephony:detail", args=[call.pk]),
        "customer": None,
    }
    customer = call.customer
    if customer is not None:
        card["customer"] = {
            "id": customer.pk,
            "name": customer.name,
            "level": customer.level,
            "level_label": str(customer.get_level_display()),
            "mobile": mask_mobile(customer.mobile) if customer.mobile else "",
            "open_tickets": open_ticket_count(customer.pk),
            "url": reverse("customers:detail", args=[customer.pk]),
        }
    return card
