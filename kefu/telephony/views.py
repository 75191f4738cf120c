"""Call pages: the list with filters, the call form with the script beside it, and the call page
(work record, linking an unknown number to a customer). The webhook lives in webhook.py."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.customers.selectors import access_customer
from kefu.telephony import selectors, services
from kefu.telephony.forms import (
    CallFilterForm,
    CallForm,
    LinkCustomerForm,
    NewCustomerForm,
    WorkRecordForm,
)
from kefu.telephony.models import CallDirection
from kefu.telephony.script import script_for
from kefu.telephony.webhook import telephony_webhook


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@require_perm(Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY)
def call_list(request):
    form = CallFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.search_calls(
        actor=request.user,
        q=filters.get("q", ""),
        direction=filters.get("direction", ""),
        outcome=filters.get("outcome", ""),
        agent_id=request.user.pk if filters.get("mine") else None,
        since=_day_start(filters["since"]) if filters.get("since") else None,
        until=_day_start(filters["until"] + dt.timedelta(days=1)) if filters.get("until") else None,
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(request, "telephony/list.html", {"form": form, "page": page})


@require_perm(Perm.SERVE_CUSTOMERS)
def call_create(request):
    customer = None
    raw_customer = request.POST.get("customer") or request.GET.get("customer", "")
    if str(raw_customer).isdigit():
        try:
            customer = access_customer(
                actor=request.user, customer_id=int(raw_customer), request=request
            )
        except Http404:
            customer = None
    initial = {
        "direction": request.GET.get("direction")
        if request.GET.get("direction") in CallDirection.values
        else CallDirection.INBOUND
    }
    if customer is not None:
        initial.update(customer=customer.pk, number=customer.mobile or customer.phone)
    elif request.GET.get("number"):
        initial["number"] = request.GET["number"][:40]
    form = CallForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = services.record_call(
                actor=request.user,
                direction=data["direction"],
                number=data["number"],
                outcome=data["outcome"],
                started_at=data["started_at"],
                customer_id=data["customer"],
                duration_seconds=data["duration_minutes"] * 60 + data["duration_seconds"],
                recording_url=data["recording_url"],
                subject=data["subject"],
                notes=data["notes"],
            )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        except Http404:
            form.add_error("customer", _("No such customer."))
        else:
            messages.success(request, _("Call recorded."))
            return redirect("telephony:detail", call_id=call.pk)
    direction = form["direction"].value() or CallDirection.INBOUND
    return render(
        request,
        "telephony/form.html",
        {
            "form": form,
            "customer": customer,
            "script": script_for(direction=direction, agent=request.user, customer=customer),
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY)
def call_detail(request, call_id: int, forms_with_errors: dict | None = None):
    call = selectors.access_call(actor=request.user, call_id=call_id)
    forms_with_errors = forms_with_errors or {}
    may_edit = request.user.has_perm(Perm.SERVE_CUSTOMERS)
    return render(
        request,
        "telephony/detail.html",
        {
            "call": call,
            "may_edit": may_edit,
            "number": selectors.masked_number(call.number),
            "record_form": forms_with_errors.get("record")
            or WorkRecordForm(
                initial={
                    "outcome": call.outcome if call.is_ended else "answered",
                    "subject": call.subject,
                    "notes": call.notes,
                }
            ),
            "link_form": forms_with_errors.get("link") or LinkCustomerForm(),
            "new_form": forms_with_errors.get("new") or NewCustomerForm(),
            "script": script_for(
                direction=call.direction, agent=call.agent or request.user, customer=call.customer
            ),
            "history": timeline.entries_for(call)[:50],
        },
    )


def _post(request, call_id: int, form_class, key: str, action):
    call = selectors.access_call(actor=request.user, call_id=call_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return call_detail(request, call.pk, forms_with_errors={key: form})
    try:
        action(call, form.cleaned_data)
    except DomainError as refusal:
        form.add_error(None, refusal.message)
        return call_detail(request, call.pk, forms_with_errors={key: form})
    except Http404:
        form.add_error(None, _("No such customer."))
        return call_detail(request, call.pk, forms_with_errors={key: form})
    return redirect("telephony:detail", call_id=call.pk)


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def call_record(request, call_id: int):
    def act(call, data):
        services.update_call_notes(
            actor=request.user,
            call=call,
            subject=data["subject"],
            notes=data["notes"],
            outcome=data["outcome"],
        )
        messages.success(request, _("Work record saved."))

    return _post(request, call_id, WorkRecordForm, "record", act)


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def call_link(request, call_id: int):
    def act(call, data):
        services.link_call_to_customer(actor=request.user, call=call, customer_id=data["customer"])
        messages.success(request, _("Call linked to the customer."))

    return _post(request, call_id, LinkCustomerForm, "link", act)


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def call_new_customer(request, call_id: int):
    def act(call, data):
        customer = services.create_customer_from_call(
            actor=request.user, call=call, name=data["name"]
        )
        messages.success(
            request, _("Customer %(name)s created and linked.") % {"name": customer.name}
        )

    return _post(request, call_id, NewCustomerForm, "new", act)


app_name = "telephony"
urlpatterns = [
    path("", call_list, name="list"),
    path("new/", call_create, name="create"),
    path("webhook/", telephony_webhook, name="webhook"),
    path("<int:call_id>/", call_detail, name="detail"),
    path("<int:call_id>/record/", call_record, name="record"),
    path("<int:call_id>/link/", call_link, name="link"),
    path("<int:call_id>/new-customer/", call_new_customer, name="new_customer"),
]
