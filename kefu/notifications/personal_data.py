"""What notifications hold about a customer (kefu/core/personal_data.py): a notification's title
may quote them (a flagged message's excerpt, the customer's name on a new work order), and its link
points at their record. Erased after the apps that hold those records (order 60): the titles of
notifications that link to the customer's tickets, chats, quality checks, work orders, visits and
the problems their reports titled. The notification, its kind and when it was read stay."""

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Conversation
from kefu.core import personal_data as pd
from kefu.dispatch.models import WorkOrder
from kefu.feedback.selectors import problems_titled_by
from kefu.notifications.models import Notification
from kefu.quality.models import Inspection
from kefu.tickets.models import Ticket
from kefu.visits.models import ReturnVisit


def _links(customer: Any) -> list[str]:
    def ids(qs: Any) -> list[int]:
        return list(qs.values_list("pk", flat=True))

    workspace = reverse("conversations:workspace")
    chats = ids(Conversation.objects.filter(customer=customer))
    inspections = Inspection.objects.filter(
        Q(conversation_id__in=chats) | Q(call__customer=customer)
    )
    work_orders = ids(WorkOrder.objects.filter(customer=customer))
    # By the reports' words, not by an erased title: the copy is made before any erasure.
    problems = problems_titled_by(customer.pk)
    return [
        *(
            reverse("tickets:detail", args=[pk])
            for pk in ids(Ticket.objects.filter(customer=customer))
        ),
        *(f"{workspace}?c={pk}" for pk in chats),
        *(reverse("quality:inspection", args=[pk]) for pk in ids(inspections)),
        *(reverse("dispatch:detail", args=[pk]) for pk in work_orders),
        *(reverse("dispatch:mobile", args=[pk]) for pk in work_orders),
        *(
            reverse("visits:visit", args=[pk])
            for pk in ids(ReturnVisit.objects.filter(customer=customer))
        ),
        *(reverse("feedback:problem", args=[pk]) for pk in ids(problems)),
    ]


def _about(customer: Any) -> Any:
    return Notification.objects.filter(link__in=_links(customer))


def export(customer: Any) -> list[pd.Table | pd.StoredFile]:
    rows = pd.rows(_about(customer), ("kind", "title", "link", "created_at"))
    once = {(r["kind"], r["title"], r["link"]): r for r in rows}  # one per recipient: once each
    return [pd.Table("notifications", list(once.values()))]


def erase(customer: Any) -> dict[str, int]:
    return {"notifications": pd.blank(_about(customer), title=pd.ERASED)}


def register() -> None:
    pd.register(pd.Holder("notifications", _("Notifications"), export, erase, order=60))
