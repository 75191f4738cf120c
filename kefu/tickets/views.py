"""Ticket pages: the list with saved views, a new ticket, and the ticket page with the loop's next
moves as buttons. Every change goes through kefu.tickets.services (via actions.perform)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.models import User
from kefu.accounts.roles import Perm, Role
from kefu.core.bodies import accepts_upload
from kefu.core.decorators import require_perm
from kefu.core.errors import Conflict, DomainError, PermissionRefused, form_field
from kefu.core.pagination import keyset_page
from kefu.core.uploads import max_upload_bytes, protected_download
from kefu.exports.http import export_response
from kefu.tickets import actions, exports, selectors, statistics
from kefu.tickets.forms import (
    VIEW_LABELS,
    NoteForm,
    TicketCreateForm,
    TicketFieldsForm,
    TicketFilterForm,
)
from kefu.tickets.models import Ticket
from kefu.tickets.search import search_tickets
from kefu.tickets.services import attachments, replies
from kefu.tickets.services import tickets as ticket_services
from kefu.tickets.states import TicketState, TicketType, flow_for

STEPS: dict[str, list[str]] = {  # the loop drawn on the ticket page, in order
    "complaint": [
        TicketState.RECEIVED,
        TicketState.CONFIRMED,
        TicketState.ROUTED,
        TicketState.INVESTIGATED,
        TicketState.PLAN_PROPOSED,
        TicketState.PLAN_APPROVED,
        TicketState.CARRIED_OUT,
        TicketState.RETURN_VISITED,
        TicketState.CLOSED,
    ],
    "short": [TicketState.RECEIVED, TicketState.ANSWERED, TicketState.CLOSED],
}


def _filtered(request, form: TicketFilterForm):
    view = request.GET.get("view", "")
    filters = (
        {k: v for k, v in form.cleaned_data.items() if k != "order"} if form.is_valid() else {}
    )
    oldest = form.is_valid() and form.cleaned_data["order"] == "oldest"
    qs = search_tickets(user=request.user, view=view, oldest_first=oldest, **filters)
    if view == "about_to_breach" and not filters.get("q"):
        qs = selectors.soonest_due_first(qs)  # the most urgent first, read in its index's order
    return qs, view


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS, Perm.INSPECT_QUALITY)
def ticket_list(request):
    form = TicketFilterForm(request.GET)
    qs, view = _filtered(request, form)
    page = keyset_page(selectors.for_list_rows(qs), cursor=request.GET.get("cursor"))
    now = timezone.now()
    return render(
        request,
        "tickets/list.html",
        {
            "form": form,
            "page": page,
            "view": view,
            "views": VIEW_LABELS.items(),
            "now": now,
            "agents": _assignable_users() if request.user.has_perm(Perm.ASSIGN_WORK) else [],
        },
    )


def _assignable_users():
    return User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR]).order_by(
        "id"
    )


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def bulk(request):
    """Bulk assign or close the ticked tickets; each one on its own, so one refusal stops none of the others."""
    ids = [int(i) for i in request.POST.getlist("ticket") if i.isdigit()][:200]
    tickets = list(selectors.visible_tickets(request.user).filter(pk__in=ids))
    operation = request.POST.get("operation")
    done, refused = 0, []
    for ticket in tickets:
        try:
            if operation == "assign":
                assignee = request.POST.get("assignee", "")
                ticket_services.assign_ticket(
                    actor=request.user,
                    ticket_id=ticket.pk,
                    expected_version=ticket.version,
                    assignee_id=int(assignee) if assignee.isdigit() else None,
                )
            elif operation == "close":
                actions.perform(
                    "close",
                    actor=request.user,
                    ticket_id=ticket.pk,
                    expected_version=ticket.version,
                    values={},
                )
            else:
                raise DomainError(_("Unknown action."))
            done += 1
        except DomainError as refusal:
            refused.append(f"{ticket.number}: {refusal.message}")
    if done:
        messages.success(
            request,
            ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", done)
            % {"count": done},
        )
    for line in refused[:10]:
        messages.error(request, line)
    return redirect(
        request.POST.get("back")
        if str(request.POST.get("back", "")).startswith("/tickets/")
        else reverse("tickets:list")
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def ticket_create(request):
    initial = (
        {"customer": request.GET.get("customer")}
        if request.GET.get("customer", "").isdigit()
        else {}
    )
    if request.GET.get("type") in TicketType.values:
        initial["type"] = request.GET["type"]
    form = TicketCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_services.create_ticket(
                actor=request.user,
                type=data["type"],
                subject=data["subject"],
                content=data["content"],
                customer_id=data["customer"],
                channel=data["channel"],
                category_id=data["category"],
                priority=data["priority"],
                complainant=data["complainant"],
            )
        except DomainError as refusal:
            form.add_error(form_field(refusal, form.fields), refusal.message)
        else:
            messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
            return redirect("tickets:detail", ticket_id=ticket.pk)
    return render(request, "tickets/create.html", {"form": form})


@login_required
def ticket_detail(
    request,
    ticket_id: int,
    forms_with_errors: dict | None = None,
    refusal: DomainError | None = None,
):
    """The ticket page. After a refused action it is shown again with the refusal's status (403 for
    a role, 409 for a state, 400 for input) and its reason: inside the move's form when that form is
    on the page, else at the top of the page."""
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    allowed = selectors.allowed_transitions(actor=request.user, ticket=ticket)
    forms_with_errors = forms_with_errors or {}
    moves: list[dict[str, Any]] = [
        {
            "transition": t,
            "form": forms_with_errors.get(t.name) or actions.action_form(t.name, ticket),
            "primary": actions.ACTIONS[t.name].primary,
            "open": t.name in forms_with_errors,
        }
        for t in allowed
        if t.name in actions.ACTIONS
    ]
    shown_in_form = refusal is not None and any(
        m["open"] and refusal.message in m["form"].non_field_errors() for m in moves
    )
    flow = "complaint" if flow_for(ticket.type) is flow_for(TicketType.COMPLAINT) else "short"
    steps = STEPS[flow]
    reached = steps.index(ticket.state) if ticket.state in steps else 0
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "moves": moves,
            "now": timezone.now(),
            "steps": [
                {"label": TicketState(s).label, "done": i < reached, "current": i == reached}
                for i, s in enumerate(steps)
            ],
            "notes": ticket.notes.select_related("author").order_by("-id")[:100],
            "attachments": ticket.attachments.select_related("uploaded_by"),
            # The address is masked like the mobile: in full only through the customer's reveal.
            "reply_to": mask(replies.reply_address(ticket), PersonalKind.EMAIL),
            "replies": selectors.ticket_history(ticket).filter(kind="tickets.reply")[:20],
            "max_upload_mb": settings.KEFU_ATTACHMENT_MAX_MB,
            "history": selectors.ticket_history(ticket)[:200],
            "note_form": NoteForm(),
            "fields_form": TicketFieldsForm(
                initial={
                    "version": ticket.version,
                    "priority": ticket.priority,
                    "category": ticket.category_id,
                }
            )
            if request.user.has_perm(Perm.ASSIGN_WORK) and ticket.is_open
            else None,
            "watchers": list(ticket.watchers.all()),
            "agents": _assignable_users() if request.user.has_perm(Perm.ASSIGN_WORK) else [],
            "may_take": ticket.assignee_id is None
            and request.user.has_perm(Perm.SERVE_CUSTOMERS)
            and ticket.is_open,
            "may_take_over": ticket.is_open
            and ticket.assignee_id != request.user.pk
            and request.user.has_perm(Perm.HANDLE_EMERGENCY),
            "handlers": _department_staff(ticket)
            if request.user.has_perm(Perm.ASSIGN_WORK) and ticket.is_open
            else [],
            "may_take_handling": ticket.is_open
            and ticket.department_id is not None
            and ticket.handler_id != request.user.pk
            and request.user.has_perm(Perm.WORK_ROUTED_TASKS)
            and request.user.department_id == ticket.department_id,
            "refusal": refusal.message if refusal is not None and not shown_in_form else "",
        },
        status=refusal.status_code if refusal is not None else 200,
    )


@login_required
@require_POST
def ticket_move(request, ticket_id: int, name: str):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    if name not in actions.ACTIONS:
        return redirect("tickets:detail", ticket_id=ticket.pk)
    try:
        actions.check_offered(
            name,
            actor=request.user,
            ticket=ticket,
            expected_version=request.POST.get(f"{name}-version"),
        )
    except DomainError as refusal:
        return ticket_detail(request, ticket.pk, refusal=refusal)
    form = actions.action_form(name, ticket, request.POST)
    if not form.is_valid():
        return ticket_detail(request, ticket.pk, forms_with_errors={name: form})
    values = dict(form.cleaned_data)
    version = values.pop("version")
    try:
        moved = actions.perform(
            name, actor=request.user, ticket_id=ticket.pk, expected_version=version, values=values
        )
    except Conflict as conflict:  # someone was faster: the fresh page says what changed
        messages.error(request, conflict.message)
        return redirect("tickets:detail", ticket_id=ticket.pk)
    except DomainError as refusal:
        form.add_error(None, refusal.message)
        return ticket_detail(request, ticket.pk, forms_with_errors={name: form}, refusal=refusal)
    messages.success(
        request,
        _("%(number)s: %(state)s") % {"number": moved.number, "state": moved.get_state_display()},
    )
    return redirect("tickets:detail", ticket_id=moved.pk)


def _carry_out(request, ticket: Ticket, action, success: str):
    """Run one service call for a form on the ticket page; its refusal or `success` becomes the toast,
    and the page is shown again. A refusal by role answers 403 with the page and its reason."""
    try:
        action()
    except PermissionRefused as refusal:
        return ticket_detail(request, ticket.pk, refusal=refusal)
    except DomainError as refusal:  # a refusal, or a conflict: someone was faster
        messages.error(request, refusal.message)
    else:
        messages.success(request, success)
    return redirect("tickets:detail", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_note(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is empty or too long (at most 4,000 characters)."))
        return redirect("tickets:detail", ticket_id=ticket.pk)
    data = form.cleaned_data
    return _carry_out(
        request,
        ticket,
        lambda: ticket_services.add_note(
            actor=request.user, ticket_id=ticket.pk, kind=data["kind"], body=data["body"]
        ),
        _("Note added."),
    )


@login_required
@require_POST
def ticket_assign(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    raw = request.POST.get("assignee", "")
    assignee_id = request.user.pk if raw == "me" else (int(raw) if raw.isdigit() else None)
    version = int(request.POST["version"]) if request.POST.get("version", "").isdigit() else -1
    return _carry_out(
        request,
        ticket,
        lambda: ticket_services.assign_ticket(
            actor=request.user,
            ticket_id=ticket.pk,
            expected_version=version,
            assignee_id=assignee_id,
        ),
        _("Assignment saved."),
    )


@login_required
@require_POST
def ticket_fields(request, ticket_id: int):
    """Priority and category (调配); the running time limits are counted again from the policy
    that then applies (services/sla.py recompute_running)."""
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    form = TicketFieldsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the priority and the category from the lists."))
        return redirect("tickets:detail", ticket_id=ticket.pk)
    data = form.cleaned_data
    return _carry_out(
        request,
        ticket,
        lambda: ticket_services.set_ticket_fields(
            actor=request.user,
            ticket_id=ticket.pk,
            expected_version=data["version"],
            priority=data["priority"],
            category_id=data["category"],
        ),
        _("Priority and category saved; the time limits follow them."),
    )


@login_required
@require_POST
def ticket_take_over(request, ticket_id: int):
    """紧急接管: the emergency right's take-over, with a reason (services/emergency.py)."""
    from kefu.tickets.services.emergency import take_over_ticket

    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    version = int(request.POST["version"]) if request.POST.get("version", "").isdigit() else -1
    return _carry_out(
        request,
        ticket,
        lambda: take_over_ticket(
            actor=request.user,
            ticket_id=ticket.pk,
            expected_version=version,
            reason=request.POST.get("reason", ""),
            request=request,
        ),
        _("You have taken this ticket over; the audit log records why."),
    )


@login_required
@require_POST
def ticket_handler(request, ticket_id: int):
    """处理人: "me" takes the ticket (its department's staff); a supervisor names one of them."""
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    raw = request.POST.get("handler", "")
    handler_id = request.user.pk if raw == "me" else (int(raw) if raw.isdigit() else None)
    version = int(request.POST["version"]) if request.POST.get("version", "").isdigit() else -1
    return _carry_out(
        request,
        ticket,
        lambda: ticket_services.set_handler(
            actor=request.user,
            ticket_id=ticket.pk,
            expected_version=version,
            handler_id=handler_id,
        ),
        _("Handler saved."),
    )


def _department_staff(ticket: Ticket):
    """Who may handle the ticket for its responsible department."""
    if ticket.department_id is None:
        return []
    return [
        u
        for u in User.objects.filter(department_id=ticket.department_id, is_active=True).order_by(
            "id"
        )
        if u.has_perm(Perm.WORK_ROUTED_TASKS) and u.role != Role.ADMINISTRATOR
    ]


@login_required
@require_POST
def ticket_watch(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    watching = request.POST.get("watching") == "1"
    return _carry_out(
        request,
        ticket,
        lambda: ticket_services.set_watching(
            actor=request.user, ticket_id=ticket.pk, user_id=request.user.pk, watching=watching
        ),
        _("You follow this ticket now.") if watching else _("You no longer follow this ticket."),
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def ticket_reply(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    return _carry_out(
        request,
        ticket,
        lambda: replies.reply_to_customer(
            actor=request.user, ticket_id=ticket.pk, body=request.POST.get("body", "")
        ),
        _("Reply sent to the customer."),
    )


@login_required
@require_POST
@accepts_upload(max_upload_bytes)
def attachment_upload(request, ticket_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
        return redirect("tickets:detail", ticket_id=ticket.pk)
    return _carry_out(
        request,
        ticket,
        lambda: attachments.add_attachment(actor=request.user, ticket_id=ticket.pk, upload=upload),
        _("File attached."),
    )


@login_required
def attachment_download(request, ticket_id: int, attachment_id: int):
    ticket = selectors.access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
    attachment = ticket.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return protected_download(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


# --- 投诉分类统计表 ----------------------------------------------------------------------------------


@login_required
def stats(request):
    """The page for those who read reports; its Excel file through the one export service, which
    answers every export the same way (kefu/exports)."""
    if request.GET.get("format") == "xlsx":
        return export_response(request, kind=exports.COMPLAINT_STATISTICS.name)
    return _stats_page(request)


@require_perm(Perm.VIEW_REPORTS)
def _stats_page(request):
    since, until = exports.stats_period(request.GET)
    start, end = exports.stats_range(since, until)
    table = statistics.complaint_table(since=start, until=end)
    totals = statistics.totals(table)
    return render(
        request,
        "tickets/stats.html",
        {
            "months": statistics.by_month(table, newest_first=True),
            "totals": totals,
            "since": since,
            "until": until,
            "header": exports.STATS_HEADER,
            "overdue_by_department": statistics.overdue_by_department(table),
            "overdue_by_agent": _named(
                statistics.overdue_by_assignee(since=start, until=end), User
            ),
        },
    )


def _named(counts: dict, model) -> list[tuple[str, int]]:
    """{id: n} as [(name, n)], most first; None is shown as “—” (no department, nobody assigned)."""
    names = {
        o.pk: str(o) for o in model.objects.filter(pk__in=[k for k in counts if k is not None])
    }
    return sorted(
        ((names.get(k, "—") if k is not None else "—", n) for k, n in counts.items()),
        key=lambda r: (-r[1], r[0]),
    )


app_name = "tickets"
urlpatterns = [
    path("", ticket_list, name="list"),
    path("new/", ticket_create, name="create"),
    path("bulk/", bulk, name="bulk"),
    path("statistics/", stats, name="stats"),
    path("<int:ticket_id>/", ticket_detail, name="detail"),
    path("<int:ticket_id>/move/<slug:name>/", ticket_move, name="move"),
    path("<int:ticket_id>/notes/", ticket_note, name="note"),
    path("<int:ticket_id>/assign/", ticket_assign, name="assign"),
    path("<int:ticket_id>/take-over/", ticket_take_over, name="take_over"),
    path("<int:ticket_id>/fields/", ticket_fields, name="fields"),
    path("<int:ticket_id>/watch/", ticket_watch, name="watch"),
    path("<int:ticket_id>/handler/", ticket_handler, name="handler"),
    path("<int:ticket_id>/attachments/", attachment_upload, name="attachment_upload"),
    path("<int:ticket_id>/reply/", ticket_reply, name="reply"),
    path(
        "<int:ticket_id>/attachments/<int:attachment_id>/", attachment_download, name="attachment"
    ),
]
