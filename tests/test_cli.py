"""The `cxloop` command loads only what the command it runs needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from cxloop.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_is_found_by_its_name_and_listed_in_the_help() -> None:
    context = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(context, name)
        assert command is not None and command.name == name
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in COMMANDS)
    assert main.get_command(context, "nosuch") is None


def test_a_notifier_worker_carries_neither_the_router_nor_the_desk_nor_the_migrations() -> None:
    # A fresh interpreter: this test process has loaded everything already. Each would cost
    # every notifier and beat process its memory (40 MB together) and a slower start.
    probe = """
import sys
from cxloop.cli import main
main.get_command(None, "worker")
import services.notifier.worker, services.notifier.tasks
print(sorted(m for m in ("services.router", "services.desk", "textblob", "alembic")
             if m in sys.modules))
"""
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]", found.stderr
