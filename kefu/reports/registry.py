"""The figures of the reports: what every installed app declares in its `report_figures.py`
(`FIGURES`, shapes in kefu/core/reporting.py), collected once, as the shell collects navigation."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from django.apps import apps
from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string, module_has_submodule

from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.core.reporting import Figure

RESERVED = {"board", "issued", "regions", "recipients", "departments"}  # pages of /reports/


@cache
def figures() -> tuple[Figure, ...]:
    found: dict[str, Figure] = {}
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "report_figures"):
            continue
        for figure in getattr(import_module(f"{config.name}.report_figures"), "FIGURES", ()):
            if figure.key in RESERVED:
                raise ValueError(f"{figure.key!r} is a page of the reports, not a figure's key")
            if figure.key in found:
                raise ValueError(f"Two report figures are called {figure.key!r}")
            found[figure.key] = figure
    return tuple(sorted(found.values(), key=lambda f: (f.order, f.key)))


def may_read(user: User, figure: Figure) -> bool:
    return user.has_perm(Perm.VIEW_REPORTS) and all(user.has_perm(p) for p in figure.perms)


def figures_for(user: User) -> list[Figure]:
    return [f for f in figures() if may_read(user, f)]


def get_figure(key: str) -> Figure | None:
    return next((f for f in figures() if f.key == key), None)


def records(figure: Figure) -> QuerySet[Model]:
    """The records behind the figure: whatever model its app counts (Figure.records)."""
    queryset: QuerySet[Model] = import_string(figure.records)()
    return queryset
