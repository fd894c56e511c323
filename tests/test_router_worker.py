"""The router worker checks every file its tasks read before it starts, digests included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from cxloop.router_worker import create_worker_app
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ROUTES = ROOT / "examples" / "retailer" / "routes.yml"


def test_a_bad_digests_section_stops_the_worker_that_plans_digests(
    settings: Settings, tmp_path: Path
) -> None:
    desk = tmp_path / "desk.yml"
    desk.write_text(EXAMPLE_DESK.read_text().replace('daily: {at: "08:30"}', 'daily: {at: "8am"}'))
    with pytest.raises(click.ClickException, match=f"{desk}: digests.daily.at: '8am'"):
        create_worker_app(settings.with_(desk_file=desk))


def test_the_worker_loads_what_a_decision_reads_before_its_pool_starts(tmp_path: Path) -> None:
    # A fresh interpreter: this test process may have loaded them already. Loaded before the
    # prefork pool starts, every child inherits them instead of loading on its first alerts.
    probe = f"""
from cxloop.router_worker import create_worker_app
from services.router import reading, scoring, vectors
from shared.settings import Settings
loaded = lambda: [f.cache_info().currsize for f in
                  (vectors.word_vectors, reading.weights, scoring.vader)]
assert loaded() == [0, 0, 0], loaded()
create_worker_app(Settings(data_dir={str(tmp_path)!r}, routes_file={str(EXAMPLE_ROUTES)!r}))
assert loaded() == [1, 1, 1], loaded()
"""
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=ROOT, timeout=120)
