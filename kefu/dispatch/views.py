"""Pages of work orders 派工单: the list, a new order (from a ticket, a call or a chat), the order's
page, the dispatch board for supervisors and the technician's phone pages (375 px wide)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.roles import Perm
from kefu.conversations.selectors import access_conversation
from kefu.core import timeline
from kefu.core.bodies import accepts_upload
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.uploads import max_upload_bytes
from kefu.customers.models import Customer
from kefu.customers.selectors import access_customer
from kefu.dispatch import selectors, services
from kefu.dispatch.forms import (
    ListFilterForm,
    ReassignForm,
    RescheduleForm,
    VisitForm,
    WorkOrderForm,
    first_error,
)
from kefu.dispatch.models import WorkOrder, WorkOrderState
from kefu.dispatch.states import PROGRESS_STEPS, WORK_ORDER_FLOW
from kefu.dispatch.templatetags.dispatch import state_badge
from kefu.telephony.selectors import access_call
from kefu.tickets.selectors import access_ticket

DESK = (Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _int(raw: object) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 else None


@require_perm(*DESK)
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    form = ListFilterForm(request.GET or None)
    qs = (
        selectors.visible_work_orders(request.user)
        .select_related("customer", "technician")
        .order_by("-id")
    )
    if form.is_valid():
        if form.cleaned_data["state"]:
            qs = qs.filter(state=form.cleaned_data["state"])
        if form.cleaned_data["visit"] == "due":
            qs = qs.filter(state=WorkOrderState.DONE).order_by("visit_due_at", "id")
        if q := form.cleaned_data["q"].strip():
            qs = qs.filter(Q(number__icontains=q) | Q(customer__name__icontains=q))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "dispatch/list.html",
        {"form": form, "page": page, "now": timezone.now(), "query": request.GET.urlencode()},
    )


def _origin(
    request: AuthenticatedRequest, source: QueryDict
) -> tuple[services.Origin, Customer | None, dict[str, str]]:
    """The ticket, call or chat the order comes from (loaded with the user's access), its customer
    (whoever may open the ticket, call or chat may dispatch for its customer) and what it fills in."""
    ticket_id, call_id, chat_id = (
        _int(source.get("ticket")),
        _int(source.get("call")),
        _int(source.get("conversation")),
    )
    initial: dict[str, str] = {}
    customer: Customer | None = None
    if ticket_id:
        ticket = access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
        customer = ticket.customer
        initial["problem"] = f"{ticket.subject}\n{ticket.content}".strip()
        origin = services.Origin(ticket_id=ticket.pk)
    elif call_id:
        call = access_call(actor=request.user, call_id=call_id)
        customer = call.customer
        origin = services.Origin(call_id=call.pk)
    elif chat_id:
        chat = access_conversation(actor=request.user, conversation_id=chat_id)
        customer = chat.customer
        origin = services.Origin(conversation_id=chat.pk)
    else:
        origin = services.Origin()
        customer_id = _int(source.get("customer"))
        if customer_id:
            customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    if customer is not None:
        initial.setdefault("address", customer.address)
    return origin, customer, initial


@require_perm(Perm.SERVE_CUSTOMERS)
def order_create(request: AuthenticatedRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    origin, customer, initial = _origin(request, source)
    status = 200
    if request.method == "POST":
        form = WorkOrderForm(request.POST)
        if customer is None:
            form.add_error(
                None, _("Open the work order from a customer, a ticket, a call or a chat.")
            )
        if form.is_valid() and customer is not None:  # the error above left the form invalid
            start, end = form.appointment()
            try:
                order = services.create_work_order(
                    actor=request.user,
                    customer=customer,
                    origin=origin,
                    address=form.cleaned_data["address"],
                    area=form.cleaned_data["area"],
                    contact_mobile=form.cleaned_data["contact_mobile"],
                    problem=form.cleaned_data["problem"],
                    skills=form.cleaned_data["skills"],
                    materials=form.cleaned_data["materials"],
                    appointment_start=start,
                    appointment_end=end,
                    technician_id=form.cleaned_data["technician"],
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
                status = refusal.status_code
            else:
                messages.success(
                    request,
                    _("Work order %(number)s created; the technician and the customer get an SMS.")
                    % {"number": order.number},
                )
                return redirect("dispatch:detail", work_order_id=order.pk)
        else:
            status = 400
    else:
        form = WorkOrderForm(initial=initial)
    return render(
        request,
        "dispatch/create.html",
        {"form": form, "customer": customer, "origin": origin},
        status=status,
    )


def _moves(request: AuthenticatedRequest, order: WorkOrder) -> set[str]:
    return {t.name for t in WORK_ORDER_FLOW.allowed(order.state, actor=request.user, obj=order)}


@login_required
def order_detail(request: AuthenticatedRequest, work_order_id: int) -> HttpResponse:
    order = selectors.access_work_order(
        actor=request.user, work_order_id=work_order_id, request=request
    )
    moves = _moves(request, order)
    if not selectors.sees_every_order(request.user):
        return redirect("dispatch:mobile", work_order_id=order.pk)
    return render(
        request,
        "dispatch/detail.html",
        {
            "order": order,
            "moves": moves,
            "now": timezone.now(),
            "lateness": selectors.lateness(order, now=timezone.now()),
            "mobile": mask(order.contact_mobile, PersonalKind.MOBILE),
            "photos": order.photos.all(),
            "history": timeline.entries_for(order).order_by("-occurred_at", "-id")[:100],
            "reschedule_form": RescheduleForm(),
            "reassign_form": ReassignForm(),
            "visit_form": VisitForm(),
            "handed_visit": None if order.visited_at else selectors.handed_visit(order.pk),
        },
    )


def _act(
    request: AuthenticatedRequest,
    order_id: int,
    action: Callable[[], object],
    success: str,
    then: str = "dispatch:detail",
) -> HttpResponseRedirect:
    selectors.access_work_order(actor=request.user, work_order_id=order_id, request=request)
    try:
        action()
    except DomainError as refusal:
        messages.error(request, refusal.message)
        if refusal.status_code == 403:
            raise PermissionDenied from refusal
    else:
        messages.success(request, success)
    return redirect(then, work_order_id=order_id)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def order_reschedule(request: AuthenticatedRequest, work_order_id: int) -> HttpResponseRedirect:
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
        messages.error(request, first_error(form))
        return redirect("dispatch:detail", work_order_id=work_order_id)
    start, end = form.appointment()
    return _act(
        request,
        work_order_id,
        lambda: services.reschedule_work_order(
            actor=request.user,
            work_order_id=work_order_id,
            appointment_start=start,
            appointment_end=end,
            technician_id=form.cleaned_data["technician"],
            expected_version=_version(request),
        ),
        _("Rescheduled; the technician and the customer get an SMS."),
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def order_reassign(request: AuthenticatedRequest, work_order_id: int) -> HttpResponseRedirect:
    form = ReassignForm(request.POST)
    then = "dispatch:board" if request.POST.get("from") == "board" else "dispatch:detail"
    if not form.is_valid():
        selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
        messages.error(request, first_error(form))
        return redirect("dispatch:detail", work_order_id=work_order_id)
    response = _act(
        request,
        work_order_id,
        lambda: services.reassign_work_order(
            actor=request.user,
            work_order_id=work_order_id,
            technician_id=form.cleaned_data["technician"],
            expected_version=_version(request),
        ),
        _("Reassigned; the new technician and the customer get an SMS."),
    )
    if then == "dispatch:board":
        return redirect(f"{reverse('dispatch:board')}?{request.POST.get('query', '')[:300]}")
    return response


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def order_cancel(request: AuthenticatedRequest, work_order_id: int) -> HttpResponseRedirect:
    return _act(
        request,
        work_order_id,
        lambda: services.cancel_work_order(
            actor=request.user,
            work_order_id=work_order_id,
            reason=request.POST.get("reason", ""),
            expected_version=_version(request),
        ),
        _("Work order cancelled."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def order_visit(request: AuthenticatedRequest, work_order_id: int) -> HttpResponseRedirect:
    form = VisitForm(request.POST)
    if not form.is_valid():
        selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
        messages.error(request, first_error(form))
        return redirect("dispatch:detail", work_order_id=work_order_id)
    return _act(
        request,
        work_order_id,
        lambda: services.record_return_visit(
            actor=request.user,
            work_order_id=work_order_id,
            outcome=form.cleaned_data["outcome"],
            satisfaction=form.cleaned_data["satisfaction"],
            expected_version=_version(request),
        ),
        _("Return visit recorded."),
    )


# --- the dispatch board (派工看板) ------------------------------------------------------------------


@require_perm(Perm.ASSIGN_WORK)
def board(request: AuthenticatedRequest) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    state = request.GET.get("state", "")
    filters = selectors.BoardFilter(
        day=day,
        technician_id=_int(request.GET.get("technician", "")),
        area=request.GET.get("area", "")[:40],
        state=state if state in WorkOrderState.values else "",
        late_only=request.GET.get("late") == "1",
        cursor=request.GET.get("cursor", "")[:40],
    )
    data = selectors.board(actor=request.user, filters=filters)
    technicians = list(services.technicians())
    return render(
        request,
        "dispatch/board.html",
        {
            **data,
            "filters": filters,
            "technicians": technicians,
            # The reassignment menu of every row, rendered once (hundreds of rows on a busy day).
            "technician_options": format_html_join(
                "", '<option value="{}">{}</option>', ((t.pk, str(t)) for t in technicians)
            ),
            "rows_html": board_rows_html(data["rows"]),
            "areas": selectors.areas(),
            "states": WorkOrderState.choices,
            "query": request.GET.urlencode(),
            "reassignable": REASSIGNABLE,
            "detail_prefix": reverse("dispatch:list"),
        },
    )


REASSIGNABLE = tuple(str(s) for s in WORK_ORDER_FLOW.transitions["reassign"].source)


def board_rows_html(rows: list[WorkOrder]) -> SafeString:
    """A page of the board's rows (BOARD_PAGE) as one escaped fragment: built here in one pass, they
    cost a fraction of 200 iterations of the template language (filters, translations, dates per
    cell); every value goes through format_html, so it is escaped exactly as the template was."""
    labels = dict(WorkOrderState.choices)
    late, soon = _("Late"), _("Due soon")
    prefix = reverse("dispatch:list")
    tz = timezone.get_current_timezone()
    parts = []
    for order in rows:
        start = order.appointment_start.astimezone(tz)
        end = order.appointment_end.astimezone(tz)
        tick = (
            format_html(
                '<input class="form-check-input" type="checkbox" name="orders" value="{}" '
                'aria-label="{}">',
                order.pk,
                order.number,
            )
            if order.state in REASSIGNABLE
            else ""
        )
        flag: str
        if order.lateness == "late":
            flag = format_html(
                ' <span class="badge bg-red text-white" data-testid="late-{}">{}</span>',
                order.pk,
                late,
            )
        elif order.lateness == "soon":
            flag = format_html(' <span class="badge bg-orange text-white">{}</span>', soon)
        else:
            flag = ""
        parts.append(
            format_html(
                '<tr data-testid="board-row-{pk}"><td>{tick}</td><td>{start}–{end}</td>'
                '<td><a href="{prefix}{pk}/">{number}</a></td><td>{customer}</td><td>{area}</td>'
                '<td>{technician}</td><td><span class="badge {badge}" '
                'data-testid="state-{pk}">{state}</span>{flag}</td></tr>\n',
                pk=order.pk,
                tick=tick,
                start=f"{start:%m-%d %H:%M}",
                end=f"{end:%H:%M}",
                prefix=prefix,
                number=order.number,
                customer=order.customer.name,
                area=order.area,
                technician=str(order.technician),
                badge=state_badge(order.state),
                state=labels.get(order.state, order.state),
                flag=flag,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308  (each part is format_html's, escaped)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def board_reassign(request: AuthenticatedRequest) -> HttpResponseRedirect:
    """Reassign the ticked orders of the board to one technician: each through the service, each
    refusal said by the order's number; the board comes back with its filters."""
    technician_id = _int(request.POST.get("technician", ""))
    ids = [i for i in (_int(v) for v in request.POST.getlist("orders")[:500]) if i]
    back = f"{reverse('dispatch:board')}?{request.POST.get('query', '')[:300]}"
    if not technician_id or not ids:
        messages.error(request, _("Tick the orders and choose the technician."))
        return redirect(back)
    done = 0
    for order_id in ids:
        order = selectors.access_work_order(
            actor=request.user, work_order_id=order_id, request=request
        )
        try:
            services.reassign_work_order(
                actor=request.user, work_order_id=order.pk, technician_id=technician_id
            )
            done += 1
        except DomainError as refusal:
            messages.error(request, f"{order.number}：{refusal.message}")
    if done:
        messages.success(
            request,
            _("%(n)d work orders reassigned; the technicians and customers get an SMS.")
            % {"n": done},
        )
    return redirect(back)


# --- the technician's phone pages -------------------------------------------------------------------


@require_perm(Perm.WORK_ROUTED_TASKS)
def my_day(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "dispatch/mine.html",
        {
            "orders": selectors.technician_day(technician=request.user, day=today),
            "upcoming": selectors.technician_upcoming(technician=request.user, day=today),
            "today": today,
            "now": timezone.now(),
        },
    )


@require_perm(Perm.WORK_ROUTED_TASKS)
def mobile_order(request: AuthenticatedRequest, work_order_id: int) -> HttpResponse:
    order = selectors.access_work_order(
        actor=request.user, work_order_id=work_order_id, request=request
    )
    moves = _moves(request, order)
    next_step = next((s for s in PROGRESS_STEPS if s in moves), None)
    return render(
        request,
        "dispatch/mobile.html",
        {
            "order": order,
            "moves": moves,
            "next_step": next_step,
            "next_label": WORK_ORDER_FLOW.transitions[next_step].label if next_step else "",
            "photos": order.photos.all(),
            "mobile": order.contact_mobile if order.technician_id == request.user.pk else "",
        },
    )


@login_required
@require_POST
def progress(request: AuthenticatedRequest, work_order_id: int, step: str) -> HttpResponseRedirect:
    if step not in services.STEP_TIME:
        raise Http404
    return _act(
        request,
        work_order_id,
        lambda: services.report_progress(
            actor=request.user,
            work_order_id=work_order_id,
            step=step,
            note=request.POST.get("note", ""),
            materials_used=request.POST.get("materials_used", ""),
            confirmed_by=request.POST.get("confirmed_by", ""),
            expected_version=_version(request),
        ),
        _("Recorded: %(step)s.") % {"step": WORK_ORDER_FLOW.transitions[step].label},
        then="dispatch:mobile",
    )


@login_required
@require_POST
@accepts_upload(max_upload_bytes)
def photo_upload(request: AuthenticatedRequest, work_order_id: int) -> HttpResponseRedirect:
    upload = request.FILES.get("photo")
    if upload is None:
        selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
        messages.error(request, _("Choose a photo to add."))
        return redirect("dispatch:mobile", work_order_id=work_order_id)
    return _act(
        request,
        work_order_id,
        lambda: services.add_photo(actor=request.user, work_order_id=work_order_id, upload=upload),
        _("Photo added."),
        then="dispatch:mobile",
    )


@login_required
def photo_file(request: AuthenticatedRequest, work_order_id: int, photo_id: int) -> FileResponse:
    order = selectors.access_work_order(
        actor=request.user, work_order_id=work_order_id, request=request
    )
    photo = order.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response


app_name = "dispatch"
urlpatterns = [
    path("", order_list, name="list"),
    path("new/", order_create, name="create"),
    path("board/", board, name="board"),
    path("board/reassign/", board_reassign, name="board_reassign"),
    path("mine/", my_day, name="mine"),
    path("<int:work_order_id>/", order_detail, name="detail"),
    path("<int:work_order_id>/m/", mobile_order, name="mobile"),
    path("<int:work_order_id>/progress/<str:step>/", progress, name="progress"),
    path("<int:work_order_id>/photos/", photo_upload, name="photo_upload"),
    path("<int:work_order_id>/photos/<int:photo_id>/", photo_file, name="photo"),
    path("<int:work_order_id>/reschedule/", order_reschedule, name="reschedule"),
    path("<int:work_order_id>/reassign/", order_reassign, name="reassign"),
    path("<int:work_order_id>/cancel/", order_cancel, name="cancel"),
    path("<int:work_order_id>/visit/", order_visit, name="visit"),
]
