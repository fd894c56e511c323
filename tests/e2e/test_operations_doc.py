"""docs/operations.md documents every setting with its real default."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from shared.settings import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"


def documented_defaults() -> dict[str, str]:
    """Map each variable in the settings table to the default its row states."""
    rows = re.findall(r"^\| `(CXLOOP_[A-Z0-9_]+)` \| ([^|]+) \|", DOC.read_text(), re.M)
    return {name: default.strip() for name, default in rows}


def rendered_default(value: object) -> str:
    """How the doc writes a default: in backticks, paths relative to the repository, or (empty)."""
    if isinstance(value, Path) and value.is_absolute():
        value = value.relative_to(ROOT)
    text = ",".join(value) if isinstance(value, tuple) else str(value)
    return f"`{text}`" if text else "(empty)"


def test_every_setting_is_documented_with_its_default() -> None:
    documented = documented_defaults()
    expected = {
        PREFIX + f.name.upper(): rendered_default(getattr(Settings(), f.name))
        for f in fields(Settings)
    }
    missing = sorted(set(expected) - set(documented))
    assert not missing, "add rows to docs/operations.md:\n" + "\n".join(
        f"| `{name}` | {expected[name]} | ... |" for name in missing
    )
    wrong = {
        name: (documented[name], want)
        for name, want in expected.items()
        if documented[name] != want
    }
    assert not wrong, f"defaults out of date (documented, actual): {wrong}"


def test_the_doc_lists_no_setting_that_does_not_exist() -> None:
    known = {PREFIX + f.name.upper() for f in fields(Settings)}
    assert set(documented_defaults()) <= known
