"""requirements/*.txt, which ./run.sh installs from, agree with pyproject.toml.

A dependency added to pyproject.toml without running tools/lock.sh would never be installed on a fresh
machine (./run.sh installs the lock with --require-hashes), so this fails first.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _locked(name: str) -> dict[str, list[str]]:
    """Each locked package's versions (one per environment marker) and whether it has hashes."""
    text = (REPO / "requirements" / name).read_text()
    pins: dict[str, list[str]] = {}
    for match in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M):
        pins.setdefault(canonicalize_name(match.group(1)), []).append(match.group(2))
    assert text.count("--hash=sha256:") >= len(pins), f"{name} lacks hashes"
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("runtime.txt", PYPROJECT["dependencies"]),
        ("test.txt", PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["test"]),
    ],
)
def test_every_dependency_is_locked_at_a_version_pyproject_allows(lock, requirements):
    pins = _locked(lock)
    for line in requirements:
        requirement = Requirement(line.split("#")[0])
        versions = pins.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements/{lock}: run tools/lock.sh"
        for version in versions:
            assert Version(version) in requirement.specifier, (
                f"requirements/{lock} pins {requirement.name}=={version}, outside {requirement.specifier}"
            )


def test_the_runtime_lock_pins_the_same_versions_as_the_test_lock():
    runtime, test = _locked("runtime.txt"), _locked("test.txt")
    assert {name: test.get(name) for name in runtime} == runtime
