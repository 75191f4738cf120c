"""The monthly visit report 回访月报 as .xlsx, through the one export service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register
from kefu.visits import selectors


def parse_filters(query: QueryDict) -> dict[str, Any]:
    return {
        "month": selectors.parse_month(
            query.get("month", ""), today=selectors.local_today()
        ).isoformat()
    }


def _month(filters: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(filters["month"])


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    report = selectors.month_report(_month(filters))
    rows = [
        [
            row["agent"],
            row["planned"],
            row["done"],
            row["on_time"],
            row["on_time_percent"],
            row["unreachable"],
            row["satisfied_percent"],
            row["survey_answers"],
            row["survey_average"],
        ]
        for row in report["rows"]
    ]
    return Prepared(count=len(rows), rows=rows)


def register_exports() -> None:
    register(
        ExportKind(
            name="visit_month_report",
            label=gettext_lazy("Monthly visit report"),
            title=gettext_lazy("Monthly visit report"),
            file_stem=lambda filters: f"visits-{filters['month'][:7]}",
            columns=tuple(
                ExportColumn(label)
                for label in (
                    gettext_lazy("Agent"),
                    gettext_lazy("Planned"),
                    gettext_lazy("Done"),
                    gettext_lazy("On time"),
                    gettext_lazy("On time %"),
                    gettext_lazy("Not reached"),
                    gettext_lazy("Satisfied %"),
                    gettext_lazy("Survey answers"),
                    gettext_lazy("Average survey score"),
                )
            ),
            prepare=prepare,
            parse_filters=parse_filters,
            view_perms=(Perm.ASSIGN_WORK,),
            page="visits:report",
        )
    )
