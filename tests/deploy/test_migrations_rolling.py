"""Migrations stay safe for a rolling upgrade: the previous release keeps running on the new schema.

The Helm chart migrates before the Deployments roll, so for a while old pods read and write the
new schema. An upgrade may therefore only add; dropping or renaming waits for a later release,
and a new NOT NULL column needs a server default (old code inserts rows without it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "shared" / "migrations" / "versions"
# Operations that break the release still running during the rollout.
BREAKING = {"drop_column", "drop_table", "rename_table", "alter_column", "drop_constraint"}


def upgrade_calls(source: str) -> list[ast.Call]:
    """Every call made inside the migration's upgrade()."""
    tree = ast.parse(source)
    (upgrade,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"]
    return [n for n in ast.walk(upgrade) if isinstance(n, ast.Call)]


def problems(source: str) -> list[str]:
    """What in upgrade() would break the previous release during a rolling upgrade."""
    found = []
    for call in upgrade_calls(source):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if name in BREAKING:
            found.append(f"line {call.lineno}: {name}")
        if name == "add_column":
            for column in (a for a in call.args if isinstance(a, ast.Call)):
                options = {k.arg: k.value for k in column.keywords}
                nullable = options.get("nullable")
                not_null = isinstance(nullable, ast.Constant) and nullable.value is False
                if not_null and "server_default" not in options:
                    found.append(f"line {call.lineno}: NOT NULL column without server_default")
    return found


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("[0-9]*.py")), ids=lambda p: p.name)
def test_the_migration_only_adds(path: Path) -> None:
    assert problems(path.read_text()) == []


def test_the_check_catches_what_breaks_a_rolling_upgrade() -> None:
    breaking = """
def upgrade():
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("comment")
        batch.add_column(sa.Column("lang", sa.String(8), nullable=False))
        batch.add_column(sa.Column("ok", sa.Integer(), nullable=False, server_default="0"))
"""
    assert problems(breaking) == [
        "line 4: drop_column",
        "line 5: NOT NULL column without server_default",
    ]
