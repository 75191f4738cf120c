"""Reads of feedback: who sees reports and problems, the similar open problems of a report, the
development department's list."""

from __future__ import annotations

import re

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from kefu.accounts.models import User
from kefu.accounts.roles import ROLE_PERMISSIONS, Perm
from kefu.feedback.models import FeedbackReport, Problem, ProblemState


def development_department_code() -> str:
    return getattr(settings, "KEFU_FEEDBACK_DEPARTMENT", "tech")


def problems_titled_by(customer_id: int) -> QuerySet[Problem]:
    """The problems one of the customer's reports gave its title (group_report without a title of
    its own): before an erasure by the same words, after it by the same ERASED (the erasure blanks
    both). What the notifications about those problems quote of the customer."""
    return Problem.objects.filter(
        pk__in=FeedbackReport.objects.filter(
            customer_id=customer_id, problem__title=F("title")
        ).values("problem_id")
    )


def is_developer(user: User) -> bool:
    """Staff of the development department (KEFU_FEEDBACK_DEPARTMENT, by default `tech`)."""
    department = user.department
    return (
        user.has_perm(Perm.WORK_ROUTED_TASKS)
        and department is not None
        and department.code == development_department_code()
    )


def developers() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        role__in=[r for r, perms in ROLE_PERMISSIONS.items() if Perm.WORK_ROUTED_TASKS in perms],
        department__code=development_department_code(),
    )


def may_see_feedback(user: User) -> bool:
    """The desk, supervisors and the departments (who read the list; only the development
    department changes a problem's state)."""
    return any(
        user.has_perm(p) for p in (Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK, Perm.WORK_ROUTED_TASKS)
    )


def problems(user: User, *, state: str = "", q: str = "") -> QuerySet[Problem]:
    if not may_see_feedback(user):
        return Problem.objects.none()
    qs = Problem.objects.annotate(
        reporters=Count("reports__customer", distinct=True), report_count=Count("reports")
    )
    if state in ProblemState.values:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(title__icontains=q[:60])
    return qs.order_by("-id")


def access_problem(*, actor: User, problem_id: int) -> Problem:
    problem = problems(actor).filter(pk=problem_id).first()
    if problem is None:
        raise Http404
    return problem


def visible_reports(user: User) -> QuerySet[FeedbackReport]:
    if not may_see_feedback(user):
        return FeedbackReport.objects.none()
    return FeedbackReport.objects.all()


def access_report(*, actor: User, report_id: int) -> FeedbackReport:
    if not may_see_feedback(actor):
        raise Http404
    report = (
        FeedbackReport.objects.select_related("customer", "problem").filter(pk=report_id).first()
    )
    if report is None:
        raise Http404
    return report


def ungrouped_reports() -> QuerySet[FeedbackReport]:
    return (
        FeedbackReport.objects.filter(problem__isnull=True)
        .select_related("customer")
        .order_by("-id")
    )


def _terms(title: str) -> list[str]:
    """Latin words of two letters or more, and every two-character piece of a Chinese run (Chinese
    has no spaces: 登录闪退 and 登录时闪退 share 登录 and 闪退)."""
    terms: list[str] = []
    for word in re.findall(r"[A-Za-z0-9]{2,}|[\u4e00-\u9fff]{2,}", title):
        if re.match(r"[\u4e00-\u9fff]", word):
            terms += [word[i : i + 2] for i in range(len(word) - 1)]
        else:
            terms.append(word)
    return list(dict.fromkeys(terms))[:12]


def similar_problems(report: FeedbackReport, *, limit: int = 5) -> list[Problem]:
    """Open or confirmed problems of the same category whose title shares words with the report's:
    the candidates to group it into, the most matching first."""
    terms = _terms(report.title)
    if not terms:
        return []
    match = Q()
    for term in terms:
        match |= Q(title__icontains=term)
    candidates = list(
        Problem.objects.filter(
            match,
            category=report.category,
            state__in=[ProblemState.OPEN, ProblemState.CONFIRMED],
        ).order_by("-id")[:50]
    )
    candidates.sort(key=lambda p: -sum(1 for t in terms if t.lower() in p.title.lower()))
    return candidates[:limit]
