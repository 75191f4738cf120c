"""The problems list for the development department 提交开发部门 (.xlsx), through the one export
service: each problem with its state, version, counts of reports and affected customers."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.feedback import selectors
from kefu.feedback.models import ProblemState


def parse_filters(query: QueryDict) -> dict[str, Any]:
    state = query.get("state", "")
    return {"state": state if state in ProblemState.values else ""}


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    qs = selectors.problems(actor, state=filters.get("state", ""))
    rows = (
        [
            p.pk,
            p.title,
            p.get_category_display(),
            p.get_severity_display(),
            p.get_state_display(),
            p.fixed_version,
            p.report_count,  # type: ignore[attr-defined]  # annotated by selectors.problems
            p.reporters,  # type: ignore[attr-defined]
            timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for p in qs.iterator()
    )
    return Prepared(count=qs.count(), rows=rows)


def register_exports() -> None:
    register(
        ExportKind(
            name="feedback_problems",
            label=gettext_lazy("Feedback problems"),
            title=gettext_lazy("Feedback problems"),
            file_stem=lambda filters: "feedback-problems",
            columns=tuple(
                ExportColumn(label)
                for label in (
                    gettext_lazy("Problem"),
                    gettext_lazy("Title"),
                    gettext_lazy("Category"),
                    gettext_lazy("Severity"),
                    gettext_lazy("State"),
                    gettext_lazy("Fixed in version"),
                    gettext_lazy("Reports"),
                    gettext_lazy("Customers affected"),
                    gettext_lazy("Created at"),
                )
            ),
            prepare=prepare,
            parse_filters=parse_filters,
            view_perms=(Perm.SERVE_CUSTOMERS, Perm.ASSIGN_WORK),
            page="feedback:problems",
        )
    )
