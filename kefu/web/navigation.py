"""The shell's registry: what every installed app declares in its `navigation.py` (menu entries,
workbench cards, settings sections; the shapes are in kefu/core/shell.py), collected once and shown
to each user by permission. The shell's own entries are declared at the end of this module, the
same way as any app's."""

from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm
from kefu.core.shell import NavEntry, NavGroup, SettingsSection


@cache
def collected(name: str) -> tuple:
    """The list `name` (NAVIGATION, WORKBENCH_CARDS or SETTINGS) of every installed app's
    `navigation` module, joined and sorted by `order` (then by the order of INSTALLED_APPS)."""
    items: list[Any] = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "navigation"):
            continue
        module = import_module(f"{config.name}.navigation")
        items.extend(getattr(module, name, ()))
    return tuple(sorted(items, key=lambda item: item.order))


def _may(user, perms: tuple[str, ...]) -> bool:
    return not perms or any(user.has_perm(p) for p in perms)


def entries_for(user) -> list[dict]:
    """The bar as `user` sees it: entries and group menus in order, a group as
    {"key", "label", "children": [entries]}; a group left with one entry is that entry."""
    if not user.is_authenticated:
        return []
    groups = {group.key: group for group in NAV_GROUPS}
    bar: list[tuple[int, dict]] = []
    menus: dict[str, dict] = {}
    for entry in collected("NAVIGATION"):
        if not _may(user, entry.perms):
            continue
        item = {"key": entry.key, "label": entry.label, "url": reverse(entry.url_name)}
        if not entry.group:
            bar.append((entry.order, item))
            continue
        if entry.group not in menus:
            group = groups[entry.group]  # KeyError: an entry names a group the shell lacks (tested)
            menus[entry.group] = {"key": group.key, "label": group.label, "children": []}
            bar.append((group.order, menus[entry.group]))
        menus[entry.group]["children"].append(item)
    items = [item for _order, item in sorted(bar, key=lambda pair: pair[0])]
    return [item["children"][0] if len(item.get("children", ())) == 1 else item for item in items]


def _links(entries: list[dict]) -> list[dict]:
    return [link for e in entries for link in e.get("children", [e])]


def settings_sections_for(user) -> list[SettingsSection]:
    return [s for s in collected("SETTINGS") if _may(user, s.perms)]


def navigation(request) -> dict:
    """Template context processor: `nav_entries`, each marked `active` when the page is under it."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_entries": []}
    entries = entries_for(user)
    links = _links(entries)
    under = [e for e in links if e["url"] != "/" and request.path.startswith(e["url"])]
    active = (
        max(under, key=lambda e: len(e["url"]))["key"]
        if under
        else ("home" if request.path == "/" else None)
    )
    for link in links:
        link["active"] = link["key"] == active
    for entry in entries:
        if "children" in entry:
            entry["active"] = any(child["active"] for child in entry["children"])
    return {"nav_entries": entries}


# --- the shell's own entries ------------------------------------------------------------------

# Settings shows for anyone who may open one of its sections (a test checks every app's sections
# are covered by these permissions).
SETTINGS_PERMS = (Perm.MANAGE_USERS, Perm.MANAGE_SETTINGS, Perm.VIEW_AUDIT_LOG)

# The menus of the bar; an app's entry joins one by its `group` key (docs/shell.md).
NAV_GROUPS = [
    NavGroup("business", _("Orders and service"), order=33),
    NavGroup("channels", _("Channels and tools"), order=40),
    NavGroup("performance", _("Quality and performance"), order=70),
    NavGroup("data", _("Data and reports"), order=80),
]

NAVIGATION = [
    NavEntry("home", _("Workbench"), "core:home", order=0),
    NavEntry("settings", _("Settings"), "core:settings", perms=SETTINGS_PERMS, order=100),
]

SETTINGS = [
    SettingsSection(
        _("Business calendar"),
        "core:calendar",
        _("Statutory holidays, adjusted working days and your own days off."),
        perms=(Perm.MANAGE_SETTINGS,),
        order=30,
    ),
]
