"""The shell and core name no domain app: each app declares its own menu entry, workbench cards and
settings sections (kefu/<app>/navigation.py), so adding or removing an app changes neither."""

import re
from pathlib import Path

from django.apps import apps

KEFU = Path(__file__).resolve().parents[2]
BELOW_THE_DOMAIN = {"core", "accounts", "web"}


def domain_apps() -> set[str]:
    return {
        c.label for c in apps.get_app_configs() if c.name.startswith("kefu.")
    } - BELOW_THE_DOMAIN


def sources(app: str):
    for path in (KEFU / app).rglob("*"):
        # `kefu serve` starts the whole system and may import any app (it is in the top layer);
        # what is checked here is that pages, navigation and settings name none.
        if path.suffix in {".py", ".html"} and not {"tests", "management"} & set(path.parts):
            yield path


def domain_url_namespaces() -> set[str]:
    """The URL namespaces whose pages belong to a domain app (tickets, tickets_settings, …)."""
    from django.urls import get_resolver

    owned = set()
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        module = getattr(resolver.urlconf_module, "__name__", "")
        if module.split(".")[1:2] and module.split(".")[1] in domain_apps():
            owned.add(namespace)
    return owned


def test_core_and_the_shell_name_no_domain_app():
    gone = {"followups", "knowledge", "quality", "reports"}  # entries once listed for apps to come
    modules = "|".join(sorted(domain_apps() | gone))
    namespaces = "|".join(sorted(domain_url_namespaces() | gone))
    pattern = re.compile(
        rf"\bkefu\.({modules})\b|['\"]({namespaces}):|['\"]({modules})['\"]"  # paths, URLs, labels
    )
    found = [
        f"{path.relative_to(KEFU)}: {match.group(0)}"
        for app in ("core", "web")
        for path in sources(app)
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []


def test_every_declared_entry_belongs_to_an_installed_app_and_resolves():
    from django.urls import reverse

    from kefu.web.navigation import collected

    for entry in collected("NAVIGATION"):
        assert reverse(entry.url_name)
    for section in collected("SETTINGS"):
        assert reverse(section.url_name)
    keys = [e.key for e in collected("NAVIGATION")]
    assert len(keys) == len(set(keys))
