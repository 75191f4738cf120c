"""Reads of SMS: the sent-message list, a customer's latest messages, and the template loader."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kefu.accounts.roles import Perm
from kefu.core.querysets import filter_given
from kefu.sms.models import SmsMessage, SmsStatus, SmsTemplate


def may_manage_templates(user) -> bool:
    """Supervisors and managers keep the templates (and administrators, who hold every right)."""
    return user.has_perm(Perm.ASSIGN_WORK) or user.has_perm(Perm.MANAGE_SETTINGS)


def may_see_all_sms(user) -> bool:
    """The list of every message sent: supervisors and managers, who see every customer too."""
    return user.has_perm(Perm.ASSIGN_WORK)


def search_sms(
    *, actor, status: str = "", q: str = "", template_code: str = "", customer_id: int | None = None
) -> QuerySet[SmsMessage]:
    if not may_see_all_sms(actor):
        return SmsMessage.objects.none()
    qs = SmsMessage.objects.all()
    q = q.strip().replace(" ", "").replace("-", "")
    if q:
        qs = (
            qs.filter(to__endswith=q)
            if q.lstrip("+").isdigit()
            else qs.filter(customer__name__startswith=q)
        )
    qs = filter_given(qs, status=status, template_code=template_code, customer_id=customer_id)
    return qs.select_related("customer", "created_by").order_by("-id")


def recent_sms_of(customer_id: int, *, limit: int = 8) -> list[SmsMessage]:
    """A customer's latest messages; the caller has checked that the user may see the customer."""
    return with_template_names(
        list(SmsMessage.objects.filter(customer_id=customer_id).order_by("-id")[:limit])
    )


def messages_by_id(ids: list[int | None]) -> dict[int, SmsMessage]:
    """The messages of these ids (others' rows hold the id: a care message, a survey invitation),
    with their status and delivery report (回执), for a page of those rows: one query."""
    return SmsMessage.objects.only(
        "status", "error", "sent_at", "delivered_at", "report_code", "reported_at"
    ).in_bulk([i for i in ids if i])


def undelivered(*, days: int = 7) -> QuerySet[SmsMessage]:
    """Messages that failed in the last `days` days (the sms_failed_recent index)."""
    since = timezone.now() - dt.timedelta(days=days)
    return SmsMessage.objects.filter(status=SmsStatus.FAILED, created_at__gte=since)


def with_template_names(sms: list[SmsMessage]) -> list[SmsMessage]:
    """Each message with `template_name`: its template's name, or the code when the template is gone."""
    names = dict(
        SmsTemplate.objects.filter(code__in={m.template_code for m in sms}).values_list(
            "code", "name"
        )
    )
    for message in sms:
        message.template_name = names.get(message.template_code, message.template_code)
    return sms


def access_template(*, actor, template_id) -> SmsTemplate:
    """A template `actor` may change; Http404 for a missing one or a user who may not manage them."""
    try:
        template_id = int(template_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < template_id < 2**63 or not may_manage_templates(actor):
        raise Http404
    template = SmsTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404
    return template


def sendable_templates(customer) -> list[dict]:
    """The templates an agent may send from the customer's page, each with its variables and the
    values known already (the customer's name for a variable called `name`)."""
    known = {"name": customer.name, "customer_name": customer.name}
    return [
        {
            "template": t,
            "fields": [
                {"name": v, "value": known.get(v, ""), "required": v in t.required_variables}
                for v in t.variables
            ],
        }
        for t in SmsTemplate.objects.order_by("name")
    ]
