"""No test module reads the clock when it is imported.

pytest imports every module before the first test runs; a suite that starts before midnight in
Asia/Shanghai (16:00 UTC) and reaches a module's tests after it compared yesterday's `TODAY` with
records made today, and failed in CI. Tests read the date when they run (`tests.clock`).
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLOCK_READS = {"now", "localdate", "localtime", "today"}


def modules_of_tests(root: Path = REPO):
    yield from (root / "tests").rglob("test_*.py")
    yield from (root / "kefu").glob("*/tests/**/*.py")


def clock_reads_at_import(tree: ast.Module) -> list[int]:
    """Lines of module-level statements (not inside a def or class) that call the clock."""
    lines = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        deferred = {  # a lambda's body runs when it is called
            id(inner)
            for node in ast.walk(statement)
            if isinstance(node, ast.Lambda)
            for inner in ast.walk(node.body)
        }
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call) or id(node) in deferred:
                continue
            called = node.func
            name = getattr(called, "attr", None) or getattr(called, "id", None)
            if name in CLOCK_READS:
                lines.append(node.lineno)
    return lines


def test_no_test_module_reads_the_clock_at_import():
    found = {
        f"{path.relative_to(REPO)}:{line}"
        for path in modules_of_tests()
        for line in clock_reads_at_import(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert not found, sorted(found)


def test_the_check_sees_a_module_level_today():
    tree = ast.parse(
        "import datetime as dt\nTODAY = timezone.localdate()\nNOW = dt.datetime.now()\n"
    )
    assert clock_reads_at_import(tree) == [2, 3]
    assert clock_reads_at_import(ast.parse("def today():\n    return timezone.localdate()\n")) == []
    assert clock_reads_at_import(ast.parse("later = lambda: timezone.now()\n")) == []
