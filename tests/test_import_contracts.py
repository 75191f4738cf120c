"""The import contracts of pyproject.toml hold for the tree, and each kind of break is caught."""

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tools.import_contracts import SiblingContract

REPO = Path(__file__).resolve().parents[1]


def test_the_tree_keeps_every_import_contract():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [lint_imports, "--no-cache", "--no-logo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def graph_with(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        for module in (importer, imported):
            parts = module.split(".")
            for i in range(1, len(parts) + 1):
                graph.add_module(".".join(parts[:i]))
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
    return graph


def siblings() -> SiblingContract:
    return SiblingContract(
        name="siblings",
        session_options={"root_packages": ["kefu"]},
        contract_options={
            "packages": ["kefu.tickets", "kefu.sms"],
            "public": ["selectors", "services", "events", "states", "models"],
        },
    )


@pytest.mark.parametrize(
    "imported", ["kefu.tickets.selectors", "kefu.tickets.services.loop", "kefu.tickets.states"]
)
def test_a_sibling_may_import_what_another_offers(imported):
    assert siblings().check(graph_with(("kefu.sms.views", imported)), verbose=False).kept


@pytest.mark.parametrize(
    "imported", ["kefu.tickets.views", "kefu.tickets.forms", "kefu.tickets.api"]
)
def test_a_sibling_may_not_import_another_apps_own_modules(imported):
    check = siblings().check(graph_with(("kefu.sms.selectors", imported)), verbose=False)
    assert not check.kept
    assert check.metadata["broken"] == [("kefu.sms.selectors", imported, [1])]


def test_an_apps_own_modules_and_its_tests_are_not_checked():
    graph = graph_with(
        ("kefu.tickets.views", "kefu.tickets.forms"),
        ("kefu.sms.tests.test_x", "kefu.tickets.views"),
    )
    assert siblings().check(graph, verbose=False).kept
