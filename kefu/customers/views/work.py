"""Review queue 资料整理, assignment 资料处理, the seven-day due list and merging duplicates.

Each view parses the request, loads customers through the selectors (so nobody touches a customer
they may not see), calls one service and renders. Refusals from services (DomainError) are shown as
messages; nothing is written by the views themselves.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.core.redirects import safe_next
from kefu.customers import selectors
from kefu.customers.forms import SearchForm
from kefu.customers.models import Customer, DuplicateCandidate, DuplicateStatus
from kefu.customers.services import assignment, merging, profiles

MAX_BATCH = 500  # customers in one assignment plan
CAPTURE_DAYS = 7
DUE_PAGE_SIZE = 50


def _ints(values: list[str]) -> list[int]:
    """Positive integers from form values, in order, without repeats; anything else is dropped."""
    found = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            found.append(number)
    return list(dict.fromkeys(found))


def _int(value: Any) -> int | None:
    numbers = _ints([value])
    return numbers[0] if numbers else None


# --- Review 资料整理 ---------------------------------------------------------------------------


REVIEW_FILTERS = ("new", "incomplete", "doubted")


@require_perm(Perm.ASSIGN_WORK)
def review_queue(request):
    active = {name: request.GET.get(name) == "on" for name in REVIEW_FILTERS}
    qs = selectors.review_queue()
    if active["new"]:
        qs = qs.filter(reviewed_at__isnull=True)
    if active["incomplete"]:
        qs = qs.filter(completeness__lt=100)
    if active["doubted"]:
        qs = qs.exclude(accuracy_flag="")
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    rows = [(customer, profiles.missing_fields(customer)) for customer in page.items]
    return render(
        request,
        "customers/work_review.html",
        {
            "page": page,
            "rows": rows,
            "filters": active,
            "capture": _capture_table(days=CAPTURE_DAYS),
        },
    )


@dataclass
class CaptureRow:
    agent: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def _capture_table(*, days: int) -> dict:
    """Daily capture counts as agents × the last `days` local days (today first)."""
    today = timezone.localdate()
    columns = [today - dt.timedelta(days=n) for n in range(days)]
    index = {day: n for n, day in enumerate(columns)}
    by_agent: dict[str, list[int]] = {}
    for row in selectors.daily_capture_counts(days=days):
        if row["day"] not in index:  # the selector's window starts mid-day, `days` days ago
            continue
        agent = row["created_by__display_name"] or row["created_by__username"]
        by_agent.setdefault(agent, [0] * days)[index[row["day"]]] += row["count"]
    rows = sorted(
        (CaptureRow(agent=a, counts=c) for a, c in by_agent.items()),
        key=lambda r: (-r.total, r.agent),
    )
    return {
        "columns": columns,
        "rows": rows,
        "totals": [sum(r.counts[n] for r in rows) for n in range(days)],
    }


# --- Assignment 资料处理 ----------------------------------------------------------------------


@require_perm(Perm.ASSIGN_WORK)
def assign(request):
    """Choose agents for the selected customers, preview the distribution, then confirm.

    Customers come as ids (`customer`, from the list's check boxes, kept in hidden inputs between
    steps) or, on a GET without ids, as every customer matching the list's filters that has no owner
    yet, up to MAX_BATCH: customers someone already looks after move only when picked one by one.
    """
    data = request.POST if request.method == "POST" else request.GET
    ids = _ints(data.getlist("customer"))
    if request.method == "GET" and not ids:
        form = SearchForm(request.GET)
        filters = form.cleaned_data if form.is_valid() else {}
        if not filters.get("unassigned"):
            filters["unassigned"] = True
            messages.info(
                request,
                _(
                    "Only the customers in the list without an owner are taken. To give a customer "
                    "who has an owner to someone else, tick it in the list and assign the selection."
                ),
            )
        qs = selectors.search_customers(
            actor=request.user, **{k: v for k, v in filters.items() if v}
        )
        customers = list(qs.select_related("owner", "needed_skill")[: MAX_BATCH + 1])
        customers = _first_batch(request, customers)
    else:
        ids = _first_batch(request, ids)
        customers = _visible(request.user, ids)
        left_out = len(ids) - len(customers)
        if left_out:
            messages.warning(
                request,
                ngettext(
                    "%(count)d selected customer was left out: it has been merged or you may not see it.",
                    "%(count)d selected customers were left out: they have been merged or you may not see them.",
                    left_out,
                )
                % {"count": left_out},
            )
    agent_ids = _ints(data.getlist("agent"))
    plan, error = None, ""
    if request.method == "POST" and data.get("step") == "preview":
        agents = [a for a in assignment.assignable_agents() if a.pk in set(agent_ids)]
        try:
            plan = assignment.plan_assignment(
                actor=request.user, customers=customers, agents=agents
            )
        except DomainError as refusal:
            error = refusal.message
    return _render_assign(request, customers=customers, agent_ids=agent_ids, plan=plan, error=error)


def _first_batch(request, items: list) -> list:
    """At most MAX_BATCH of `items`, telling the supervisor when some were left for later."""
    if len(items) > MAX_BATCH:
        messages.warning(
            request,
            _(
                "More than %(max)d customers match: the first %(max)d are taken. Assign them, then the rest."
            )
            % {"max": MAX_BATCH},
        )
    return items[:MAX_BATCH]


def _visible(actor: User, ids: list[int]) -> list[Customer]:
    return list(
        selectors.visible_customers(actor)
        .filter(pk__in=ids)
        .select_related("owner", "needed_skill")
        .order_by("id")
    )


def _render_assign(
    request, *, customers: list[Customer], agent_ids: list[int], plan=None, error: str = ""
):
    agents = assignment.assignable_agents()
    owned = dict(
        Customer.objects.filter(owner__in=agents, merged_into__isnull=True)
        .values_list("owner")
        .annotate(n=Count("id"))
        .values_list("owner", "n")
    )
    chosen = set(agent_ids)
    agent_rows = [
        {
            "agent": a,
            "skills": list(a.agent_profile.skills.all()) if hasattr(a, "agent_profile") else [],
            "owned": owned.get(a.pk, 0),
            "checked": a.pk in chosen,
        }
        for a in agents
    ]
    context: dict[str, Any] = {
        "customers": customers,
        "agent_rows": agent_rows,
        "error": error,
        "plan": plan,
        "max_batch": MAX_BATCH,
    }
    if plan is not None:
        by_customer = {c.pk: c for c in customers}
        by_agent = {load.agent.pk: load.agent for load in plan.loads}
        context["pairs"] = [(by_customer[c], by_agent[a], f"{c}:{a}") for c, a in plan.pairs]
    return render(request, "customers/work_assign.html", context)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def assign_confirm(request):
    pairs: list[tuple[int, int]] = []
    unreadable = False
    for raw in request.POST.getlist("pair"):
        customer_id, agent_id = _int(raw.partition(":")[0]), _int(raw.partition(":")[2])
        if customer_id is None or agent_id is None:
            unreadable = True
        elif customer_id not in {c for c, _a in pairs}:
            pairs.append((customer_id, agent_id))
    if unreadable or not pairs or len(pairs) > MAX_BATCH:
        messages.error(request, _("The plan could not be read; make it again."))
        return redirect("customers:list")
    customer_ids = [c for c, _a in pairs]
    customers = _visible(request.user, customer_ids)
    try:
        if len(customers) != len(customer_ids):
            # Merged away since the preview, or never visible to this user: the plan is stale.
            raise DomainError(
                _("Some customers or agents changed since the plan was made; make the plan again.")
            )
        count = assignment.assign_customers(actor=request.user, pairs=pairs)
    except DomainError as refusal:
        return _render_assign(
            request,
            customers=customers,
            agent_ids=_ints([str(a) for _c, a in pairs]),
            error=refusal.message,
        )
    unchanged = len(pairs) - count
    text = ngettext("%(count)d customer assigned.", "%(count)d customers assigned.", count) % {
        "count": count
    }
    if unchanged:
        text += " " + ngettext(
            "%(count)d already belonged to the chosen agent.",
            "%(count)d already belonged to the chosen agents.",
            unchanged,
        ) % {"count": unchanged}
    messages.success(request, text)
    return redirect("customers:list")


# --- The seven-day rule ------------------------------------------------------------------------


@require_perm(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK)
def due_list(request):
    sees_all = selectors.sees_all_customers(request.user)
    overdue_only = sees_all and request.GET.get("overdue") == "on"
    qs = selectors.contact_due(owner=None if sees_all else request.user, overdue_only=overdue_only)
    page = keyset_page(
        qs, cursor=request.GET.get("cursor"), size=DUE_PAGE_SIZE, by="contact_due_at"
    )
    rows = [(customer, customer.contact_overdue) for customer in page.items]
    return render(
        request,
        "customers/work_due.html",
        {
            "page": page,
            "rows": rows,
            "sees_all": sees_all,
            "overdue_only": overdue_only,
        },
    )


# --- Merge ------------------------------------------------------------------------------------


@require_perm(Perm.ASSIGN_WORK)
def duplicates(request):
    # A pair one of whose customers has been merged away is no longer a choice between two records.
    qs = (
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN,
            customer__merged_into__isnull=True,
            other__merged_into__isnull=True,
        )
        .select_related("customer__owner", "other__owner")
        .order_by("-id")
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(request, "customers/work_duplicates.html", {"page": page})


def _open_candidate(request, candidate_id: int) -> DuplicateCandidate | None:
    candidate = get_object_or_404(DuplicateCandidate, pk=candidate_id)
    if candidate.status != DuplicateStatus.OPEN:
        messages.error(request, _("This pair has already been decided."))
        return None
    return candidate


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def merge_candidate(request, candidate_id: int):
    candidate = _open_candidate(request, candidate_id)
    if candidate is None:
        return redirect("customers:duplicates")
    survivor_id = _int(request.POST.get("survivor"))
    if survivor_id not in (candidate.customer_id, candidate.other_id):
        messages.error(request, _("Choose which customer to keep."))
        return redirect("customers:duplicates")
    duplicate_id = (
        candidate.other_id if survivor_id == candidate.customer_id else candidate.customer_id
    )
    return _merge(
        request,
        survivor_id=survivor_id,
        duplicate_id=duplicate_id,
        on_error=reverse("customers:duplicates"),
    )


def _merge(request, *, survivor_id: int, duplicate_id: int, on_error: str):
    survivor = selectors.access_customer(
        actor=request.user, customer_id=survivor_id, request=request
    )
    duplicate = selectors.access_customer(
        actor=request.user, customer_id=duplicate_id, request=request
    )
    try:
        if survivor.pk != survivor_id or duplicate.pk != duplicate_id:
            raise DomainError(_("One of these customers has already been merged; reload the page."))
        survivor = merging.merge_customers(
            actor=request.user, survivor=survivor, duplicate=duplicate, request=request
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect(on_error)
    messages.success(
        request,
        _("Customer no. %(old)s is merged into this record; its old number opens it too.")
        % {"old": duplicate_id},
    )
    return redirect("customers:detail", customer_id=survivor.pk)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def dismiss_candidate(request, candidate_id: int):
    candidate = _open_candidate(request, candidate_id)
    if candidate is not None:
        merging.dismiss_duplicate(actor=request.user, candidate=candidate)
        messages.success(request, _("Marked as two different customers."))
    return redirect(safe_next(request, reverse("customers:duplicates")))


@require_perm(Perm.ASSIGN_WORK)
def merge_with(request, customer_id: int):
    """Merge by hand from a profile: find the other record, compare, choose the survivor."""
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    if customer.pk != customer_id:
        return redirect("customers:merge_with", customer_id=customer.pk)
    if request.method == "POST":
        other_id = _int(request.POST.get("other"))
        survivor_id = _int(request.POST.get("survivor"))
        back = reverse("customers:merge_with", args=[customer.pk])
        if (
            other_id is None
            or other_id == customer.pk
            or survivor_id not in (customer.pk, other_id)
        ):
            messages.error(request, _("Choose which customer to keep."))
            return redirect(back)
        duplicate_id = other_id if survivor_id == customer.pk else customer.pk
        return _merge(
            request,
            survivor_id=survivor_id,
            duplicate_id=duplicate_id,
            on_error=f"{back}?other={other_id}",
        )
    q = unicodedata.normalize("NFKC", request.GET.get("q", "")).strip()[:60]
    other, error = None, ""
    other_id = _int(request.GET.get("other"))
    if other_id is not None:
        other = selectors.access_customer(actor=request.user, customer_id=other_id, request=request)
        if other.pk == customer.pk:
            other, error = None, _("A customer cannot be merged with itself.")
    matches = _merge_matches(request.user, q, exclude=customer.pk) if q and other is None else []
    return render(
        request,
        "customers/work_merge.html",
        {
            "customer": customer,
            "other": other,
            "q": q,
            "matches": matches,
            "error": error,
        },
    )


def _merge_matches(actor: User, q: str, *, exclude: int) -> list[Customer]:
    """Customers to merge with: by customer no., or as the archive's search finds them (mobile…)."""
    digits = q.replace(" ", "").replace("-", "")
    found: list[Customer] = []
    if digits.isdigit() and len(digits) <= 10:
        found += list(
            selectors.visible_customers(actor).filter(pk=int(digits)).select_related("owner")
        )
    found += list(selectors.search_customers(actor=actor, q=q)[:10])
    unique = {c.pk: c for c in found if c.pk != exclude}
    return list(unique.values())[:10]


urlpatterns = [
    path("review/", review_queue, name="review"),
    path("assign/", assign, name="assign"),
    path("assign/confirm/", assign_confirm, name="assign_confirm"),
    path("due/", due_list, name="due"),
    path("duplicates/", duplicates, name="duplicates"),
    path("duplicates/<int:candidate_id>/merge/", merge_candidate, name="merge"),
    path("duplicates/<int:candidate_id>/dismiss/", dismiss_candidate, name="dismiss"),
    path("<int:customer_id>/merge/", merge_with, name="merge_with"),
]
