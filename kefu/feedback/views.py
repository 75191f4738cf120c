"""Pages of feedback and bugs 反馈/BUG: the problems list (the development department's list), a
problem with its reports and state moves, a report with the similar problems to group it into, and
the form that records a customer's report (from a ticket, a chat or the customer's page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.conversations.selectors import access_conversation
from kefu.core.bodies import accepts_upload
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.uploads import max_upload_bytes
from kefu.customers.selectors import access_customer
from kefu.exports.http import export_response
from kefu.feedback import selectors, services
from kefu.feedback.forms import ReportForm
from kefu.feedback.models import ProblemState, ReportChannel
from kefu.feedback.states import PROBLEM_FLOW
from kefu.feedback.webhook import feedback_webhook
from kefu.tickets.selectors import access_ticket


def _int(raw: object) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 else None


def _may_see(request: AuthenticatedRequest) -> None:
    if not selectors.may_see_feedback(request.user):
        raise PermissionDenied


@login_required
def problem_list(request: AuthenticatedRequest) -> HttpResponseBase:
    _may_see(request)
    state = request.GET.get("state", "")
    if request.GET.get("format") == "xlsx":
        return export_response(request, kind="feedback_problems")
    page = Paginator(
        selectors.problems(request.user, state=state, q=request.GET.get("q", "").strip()), 50
    ).get_page(request.GET.get("page"))
    ungrouped = (
        selectors.ungrouped_reports()[:50] if request.user.has_perm(Perm.SERVE_CUSTOMERS) else []
    )
    return render(
        request,
        "feedback/problems.html",
        {
            "page": page,
            "state": state,
            "states": ProblemState.choices,
            "ungrouped": ungrouped,
            "may_export": request.user.has_perm(Perm.EXPORT_DATA),
        },
    )


@login_required
def problem_detail(request: AuthenticatedRequest, problem_id: int) -> HttpResponse:
    problem = selectors.access_problem(actor=request.user, problem_id=problem_id)
    moves = {t.name for t in PROBLEM_FLOW.allowed(problem.state, actor=request.user, obj=problem)}
    reports = problem.reports.select_related("customer").prefetch_related("notices").order_by("id")
    return render(
        request,
        "feedback/problem.html",
        {"problem": problem, "moves": moves, "reports": reports[:200]},
    )


@login_required
@require_POST
def problem_move(request: AuthenticatedRequest, problem_id: int, move: str) -> HttpResponseRedirect:
    selectors.access_problem(actor=request.user, problem_id=problem_id)
    if move not in PROBLEM_FLOW.transitions:
        raise Http404
    version = request.POST.get("version", "")
    try:
        services.change_problem_state(
            actor=request.user,
            problem_id=problem_id,
            move=move,
            fixed_version=request.POST.get("fixed_version", ""),
            note=request.POST.get("note", ""),
            expected_version=int(version) if version.isdigit() else None,
        )
    except DomainError as refusal:
        if refusal.status_code == 403:
            raise PermissionDenied from refusal
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Saved; every customer who reported it is told."))
    return redirect("feedback:problem", problem_id=problem_id)


@require_perm(Perm.SERVE_CUSTOMERS)
def report_create(request: AuthenticatedRequest) -> HttpResponseBase:
    source = request.POST if request.method == "POST" else request.GET
    ticket_id, chat_id = _int(source.get("ticket")), _int(source.get("conversation"))
    customer, initial = None, {}
    if ticket_id:
        ticket = access_ticket(actor=request.user, ticket_id=ticket_id, request=request)
        customer = ticket.customer
        initial = {
            "channel": ReportChannel.TICKET,
            "title": ticket.subject,
            "steps": ticket.content,
        }
    elif chat_id:
        chat = access_conversation(actor=request.user, conversation_id=chat_id)
        customer = chat.customer
        initial = {"channel": ReportChannel.CHAT}
    elif customer_id := _int(source.get("customer")):
        customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        if customer is None:
            form.add_error(None, _("Record feedback from a customer, a ticket or a chat."))
        if form.is_valid() and customer is not None:  # the error above left the form invalid
            try:
                report = services.submit_report(
                    actor=request.user,
                    customer=customer,
                    ticket_id=ticket_id,
                    conversation_id=chat_id,
                    screenshots=request.FILES.getlist("screenshots"),
                    **form.cleaned_data,
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
                status = refusal.status_code
            else:
                messages.success(request, _("Feedback recorded; group it with a problem."))
                return redirect("feedback:report", report_id=report.pk)
        else:
            status = 400
    else:
        form = ReportForm(initial=initial)
    return render(
        request,
        "feedback/report_form.html",
        {"form": form, "customer": customer, "ticket_id": ticket_id, "chat_id": chat_id},
        status=status,
    )


report_create = accepts_upload(max_upload_bytes)(report_create)


@login_required
def report_detail(request: AuthenticatedRequest, report_id: int) -> HttpResponse:
    report = selectors.access_report(actor=request.user, report_id=report_id)
    return render(
        request,
        "feedback/report.html",
        {
            "report": report,
            "similar": selectors.similar_problems(report) if report.problem_id is None else [],
            "screenshots": report.screenshots.all(),
            "notices": report.notices.order_by("id"),
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def report_group(request: AuthenticatedRequest, report_id: int) -> HttpResponseRedirect:
    selectors.access_report(actor=request.user, report_id=report_id)
    try:
        problem = services.group_report(
            actor=request.user,
            report_id=report_id,
            problem_id=_int(request.POST.get("problem", "")),
            title=request.POST.get("title", ""),
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("feedback:report", report_id=report_id)
    messages.success(request, _("Grouped into problem #%(id)d.") % {"id": problem.pk})
    return redirect("feedback:problem", problem_id=problem.pk)


@login_required
def screenshot_file(
    request: AuthenticatedRequest, report_id: int, screenshot_id: int
) -> FileResponse:
    report = selectors.access_report(actor=request.user, report_id=report_id)
    shot = report.screenshots.filter(pk=screenshot_id).first()
    if shot is None:
        raise Http404
    response = FileResponse(shot.file.open("rb"), content_type=shot.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response


app_name = "feedback"
urlpatterns = [
    path("", problem_list, name="problems"),
    path("webhook/", feedback_webhook, name="webhook"),
    path("problems/<int:problem_id>/", problem_detail, name="problem"),
    path("problems/<int:problem_id>/<str:move>/", problem_move, name="problem_move"),
    path("reports/new/", report_create, name="report_create"),
    path("reports/<int:report_id>/", report_detail, name="report"),
    path("reports/<int:report_id>/group/", report_group, name="report_group"),
    path(
        "reports/<int:report_id>/screenshots/<int:screenshot_id>/",
        screenshot_file,
        name="screenshot",
    ),
]
