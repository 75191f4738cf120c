"""Issuing the scheduled pack (seed 001: 每日10:00前提报前日报表；每周一10:00前提报上周周报；每月5日前提报
上月月报): each report is computed once from the figures (kefu/reports/selectors.py), stored as an
IssuedReport and announced in the app and by e-mail to those who read reports.

`issue_due_packs` is what the scheduler runs every ten minutes (kefu/reports/tasks.py): it issues
whichever of the latest daily, weekly and monthly reports is missing, so a run missed while the
server was down is made up within ten minutes of the next start, and a second run issues nothing.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm, Role, permissions_of
from kefu.core.errors import PermissionRefused
from kefu.core.events import emit
from kefu.reports import registry, selectors
from kefu.reports.events import ReportIssued
from kefu.reports.models import IssuedReport, PackKind, PackRecipient

PACK_ROWS = 10  # the largest groups kept per figure


class PackGroup(selectors.Change):
    label: str
    value: selectors.Value
    previous: selectors.Value


class PackFigure(selectors.Summary):
    """A figure as the pack stores it (IssuedReport.content, a list of these as JSON)."""

    key: str
    label: str
    unit: str
    by: str  # the dimension of `rows`
    by_label: str
    rows: list[PackGroup]  # the largest PACK_ROWS groups


def latest_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete local period before `today`: yesterday; last Monday to Sunday; last month."""
    if kind == PackKind.DAILY:
        day = today - dt.timedelta(days=1)
        return day, day
    if kind == PackKind.WEEKLY:
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def pack_content(*, since: dt.date, until: dt.date) -> list[PackFigure]:
    """Every figure of the pack for the period: total, previous period, change, largest groups."""
    filters = selectors.ReportFilters(since=since, until=until)
    content: list[PackFigure] = []
    for figure in registry.figures():
        if not figure.in_pack:
            continue
        now = selectors.summary(figure, filters)
        by, rows = selectors.breakdown(figure, filters)
        content.append(
            {
                "key": figure.key,
                "label": str(figure.label),
                "unit": str(figure.unit),
                **now,
                "by": by,
                "by_label": str(selectors.FILTER_LABELS.get(by, by)),
                "rows": [
                    {
                        "label": r["label"],
                        "value": r["value"],
                        "previous": r["previous"],
                        "delta": r["delta"],
                        "percent": r["percent"],
                    }
                    for r in rows[:PACK_ROWS]
                ],
            }
        )
    return content


def readers() -> list[int]:
    """Who is told of a new pack: those a manager chose (set_pack_recipients), or with nobody
    chosen the active users whose role reads reports (inspectors read the quality figures, not the
    pack). notify() skips the inactive and e-mails those with an address."""
    chosen = list(PackRecipient.objects.values_list("user_id", flat=True))
    if chosen:
        return chosen
    roles = [
        r for r in Role.values if Perm.VIEW_REPORTS in permissions_of(r) and r != Role.INSPECTOR
    ]
    return list(User.objects.filter(is_active=True, role__in=roles).values_list("pk", flat=True))


def issue_pack(
    *,
    kind: str,
    since: dt.date,
    until: dt.date,
    now: dt.datetime | None = None,
    announce: bool = True,
) -> tuple[IssuedReport, bool]:
    """The report of `kind` for [since, until], issued now unless it was already: (report, new).
    `announce=False` (the demo's past reports) tells nobody."""
    existing = IssuedReport.objects.filter(kind=kind, period_start=since).first()
    if existing is not None:
        return existing, False
    content = pack_content(since=since, until=until)
    try:
        with transaction.atomic():
            report = IssuedReport.objects.create(
                kind=kind,
                period_start=since,
                period_end=until,
                issued_at=now or timezone.now(),
                content=content,
            )
            emit(ReportIssued(report_id=report.pk, kind=kind, period_start=since.isoformat()))
    except IntegrityError:  # another worker issued it meanwhile
        return IssuedReport.objects.get(kind=kind, period_start=since), False
    if announce:
        _announce(report)
    return report, True


def _announce(report: IssuedReport) -> None:
    from kefu.notifications.services import notify

    notify(
        recipient_ids=readers(),
        kind=ReportIssued.name,
        title=_("%(report)s is ready") % {"report": str(report)},
        link=reverse("reports:issued", args=[report.pk]),
    )


def issue_due_packs(*, now: dt.datetime | None = None) -> list[IssuedReport]:
    """Issue the latest daily, weekly and monthly reports that are missing; returns the new ones."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    issued: list[IssuedReport] = []
    for kind in PackKind.values:
        since, until = latest_period(kind, today)
        report, new = issue_pack(kind=kind, since=since, until=until, now=now)
        if new:
            issued.append(report)
            if kind == PackKind.WEEKLY:
                send_department_analyses(since=since, until=until)
    return issued


def send_department_analyses(*, since: dt.date, until: dt.date) -> None:
    """The weekly 服务分析报告: each responsible department's staff are told of their own."""
    from kefu.accounts.models import Department
    from kefu.notifications.services import notify

    query = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    for department in Department.objects.filter(is_customer_service=False).order_by("pk"):
        staff = User.objects.filter(
            department=department, role=Role.DEPARTMENT_STAFF, is_active=True
        ).values_list("pk", flat=True)
        notify(
            recipient_ids=list(staff),
            kind="reports.department_analysis",
            title=_("Service analysis of %(department)s, %(since)s to %(until)s")
            % {"department": department.name, "since": since, "until": until},
            link=f"{reverse('reports:department', args=[department.pk])}?{query}",
        )


def eligible_recipients() -> QuerySet[User]:
    """Who may be chosen: active users whose role reads reports (the pack's page needs it)."""
    roles = [r for r in Role.values if Perm.VIEW_REPORTS in permissions_of(r)]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")


@transaction.atomic
def set_pack_recipients(
    *, actor: User, user_ids: list[int], request: HttpRequest | None = None
) -> list[int]:
    """The people who receive the pack, chosen by a manager; ids of others are ignored. Audited."""
    if not actor.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionRefused(_("Your role may not change who receives the reports."))
    chosen = sorted(eligible_recipients().filter(pk__in=user_ids).values_list("pk", flat=True))
    before = sorted(PackRecipient.objects.values_list("user_id", flat=True))
    PackRecipient.objects.exclude(user_id__in=chosen).delete()
    PackRecipient.objects.bulk_create(
        [PackRecipient(user_id=pk) for pk in chosen if pk not in before]
    )
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        object_type="reports.pack_recipients",
        object_repr=_("Report pack recipients"),
        request=request,
        details={"before": before, "after": chosen},
    )
    return chosen
