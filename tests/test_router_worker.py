"""The router worker checks every file its tasks read before it starts, digests included."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from cxloop.router_worker import create_worker_app
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK


def test_a_bad_digests_section_stops_the_worker_that_plans_digests(
    settings: Settings, tmp_path: Path
) -> None:
    desk = tmp_path / "desk.yml"
    desk.write_text(EXAMPLE_DESK.read_text().replace('daily: {at: "08:30"}', 'daily: {at: "8am"}'))
    with pytest.raises(click.ClickException, match=f"{desk}: digests.daily.at: '8am'"):
        create_worker_app(settings.with_(desk_file=desk))
