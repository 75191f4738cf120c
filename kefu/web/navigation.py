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
from kefu.core.shell import NavEntry, SettingsSection


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
    if not user.is_authenticated:
        return []
    return [
        {"key": entry.key, "label": entry.label, "url": reverse(entry.url_name)}
        for entry in collected("NAVIGATION")
        if _may(user, entry.perms)
    ]


def settings_sections_for(user) -> list[SettingsSection]:
    return [s for s in collected("SETTINGS") if _may(user, s.perms)]


def navigation(request) -> dict:
    """Template context processor: `nav_entries`, each marked `active` when the page is under it."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_entries": []}
    entries = entries_for(user)
    under = [e for e in entries if e["url"] != "/" and request.path.startswith(e["url"])]
    active = (
        max(under, key=lambda e: len(e["url"]))["key"]
        if under
        else ("home" if request.path == "/" else None)
    )
    for entry in entries:
        entry["active"] = entry["key"] == active
    return {"nav_entries": entries}


# --- the shell's own entries ------------------------------------------------------------------

# Settings shows for anyone who may open one of its sections (a test checks every app's sections
# are covered by these permissions).
SETTINGS_PERMS = (Perm.MANAGE_USERS, Perm.MANAGE_SETTINGS, Perm.VIEW_AUDIT_LOG)

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
