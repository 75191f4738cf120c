"""The after-sales register 售后登记表 as a spreadsheet, a kind of the one export service
(kefu/exports): the list page's filters, the cases the user may see, refunds in yuan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.aftersales import selectors
from kefu.aftersales.models import CaseKind, CaseState
from kefu.exports.registry import ExportColumn, ExportKind, Prepared, register

HEADER = (
    gettext_lazy("Case no."),
    gettext_lazy("Opened"),
    gettext_lazy("Order number"),
    gettext_lazy("Customer"),
    gettext_lazy("Kind"),
    gettext_lazy("State"),
    gettext_lazy("Reason"),
    gettext_lazy("Refund (yuan)"),
    gettext_lazy("Notes found in the parcel"),
    gettext_lazy("Arbitration"),
    gettext_lazy("Finished"),
)


def parse_filters(query: QueryDict) -> dict[str, Any]:
    state = query.get("state", "")
    kind = query.get("kind", "")
    filters = {
        "state": state if state in CaseState.values else "",
        "kind": kind if kind in CaseKind.values else "",
        "q": (query.get("q", "") or "").strip()[:120],
    }
    return {k: v for k, v in filters.items() if v}


def prepare(*, actor: User, filters: dict[str, Any]) -> Prepared:
    qs = selectors.register(
        actor, state=filters.get("state", ""), kind=filters.get("kind", ""), q=filters.get("q", "")
    )

    def rows() -> Iterator[list[Any]]:
        for case in qs.iterator(chunk_size=1000):
            yield [
                case.pk,
                timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M"),
                case.order.number,
                case.customer.name if case.customer else "",
                case.get_kind_display(),
                case.get_state_display(),
                case.reason,
                f"{case.refund_fen // 100}.{case.refund_fen % 100:02d}",
                case.parcel_notes,
                _("yes") if case.arbitration else "",
                timezone.localtime(case.finished_at).strftime("%Y-%m-%d %H:%M")
                if case.finished_at
                else "",
            ]

    return Prepared(count=qs.count(), rows=rows())


REGISTER = register(
    ExportKind(
        name="aftersales_register",
        label=gettext_lazy("After-sales register"),
        title=gettext_lazy("After-sales register"),
        file_stem=lambda filters: f"{_('aftersales-register')}-{timezone.localdate():%Y%m%d}",
        columns=tuple(ExportColumn(label) for label in HEADER),
        prepare=prepare,
        parse_filters=parse_filters,
        view_perms=(Perm.SERVE_CUSTOMERS,),
        page="aftersales:list",
    )
)
