"""The main navigation by role. One list; an entry shows when its app exists and the user may use it.

Later apps add their entry by naming their app label here; nothing else changes.
"""

from dataclasses import dataclass

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kefu.accounts.roles import Perm


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    app_label: str
    perms: tuple[str, ...]  # any one of these shows the entry; () means every signed-in user


NAVIGATION = (
    NavEntry("home", _("Workbench"), "core:home", "core", ()),
    NavEntry("conversations", _("Conversations"), "conversations:workspace", "conversations", (Perm.SERVE_CUSTOMERS, Perm.INSPECT_QUALITY)),
    NavEntry("tickets", _("Tickets"), "tickets:list", "tickets", (Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS, Perm.INSPECT_QUALITY)),
    NavEntry("customers", _("Customers"), "customers:list", "customers", (Perm.SERVE_CUSTOMERS,)),
    NavEntry("followups", _("Return visits"), "followups:list", "followups", (Perm.SERVE_CUSTOMERS,)),
    NavEntry("knowledge", _("Knowledge base"), "knowledge:list", "knowledge", (Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS, Perm.INSPECT_QUALITY)),
    NavEntry("quality", _("Quality"), "quality:list", "quality", (Perm.INSPECT_QUALITY,)),
    NavEntry("reports", _("Reports"), "reports:index", "reports", (Perm.VIEW_REPORTS,)),
    NavEntry("settings", _("Settings"), "core:settings", "core", (Perm.MANAGE_USERS, Perm.MANAGE_SETTINGS, Perm.VIEW_AUDIT_LOG)),
)


def entries_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    visible = []
    for entry in NAVIGATION:
        if not apps.is_installed(f"kefu.{entry.app_label}"):
            continue
        if entry.perms and not any(user.has_perm(p) for p in entry.perms):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        visible.append({"key": entry.key, "label": entry.label, "url": url})
    return visible


def navigation(request) -> dict:
    """Template context processor: `nav_entries`, each marked `active` when the page is under it."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_entries": []}
    entries = entries_for(user)
    under = [e for e in entries if e["url"] != "/" and request.path.startswith(e["url"])]
    active = max(under, key=lambda e: len(e["url"]))["key"] if under else ("home" if request.path == "/" else None)
    for entry in entries:
        entry["active"] = entry["key"] == active
    return {"nav_entries": entries}
