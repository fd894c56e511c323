"""Check that routes.yml, desk.yml and sources.yml agree with each other and the environment.

Each file is validated on its own where it is loaded; what only shows when they meet is checked
here: a receiver whose owners belong to no desk team (they would get "case not found" on their
own cases), a team naming a receiver that does not exist, a Slack webhook variable that is not
set, an SLA or root-cause list for a touchpoint that routing never produces, a source whose
default touchpoint is not configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click

from services.desk.config import DeskConfig, DeskConfigError, load_desk_config
from services.ingest.sources.config import ConfigError as SourcesConfigError
from services.ingest.sources.config import Sources, load_sources
from services.router.cli import routes
from services.router.config import ConfigError, RouterConfig, load_config
from shared.settings import Settings

_WEBHOOK = "webhook:"


@dataclass(frozen=True)
class Problem:
    """One disagreement: the file and key where it shows, and why it matters."""

    file: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.reason}"


def _used_receivers(routes: RouterConfig) -> list[str]:
    return list(dict.fromkeys(node.receiver for node in routes.route.walk() if node.receiver))


def cross_check(
    routes: RouterConfig,
    desk: DeskConfig,
    desk_file: str,
    sources: Sources | None,
    environ: Mapping[str, str],
) -> list[Problem]:
    """Return every disagreement between the three files and the environment."""
    problems: list[Problem] = []
    for name in _used_receivers(routes):
        if name not in desk.receiver_teams:
            problems.append(
                Problem(
                    desk_file,
                    "teams",
                    f"receiver {name!r} (routes.yml) belongs to no team: its owners could not "
                    "see their own cases",
                )
            )
    for receiver, team in desk.receiver_teams.items():
        if receiver not in routes.receivers:
            problems.append(
                Problem(
                    desk_file,
                    f"teams.{team}.receivers",
                    f"{receiver!r} is not a receiver of {routes.source}",
                )
            )
    for index, entry in enumerate(routes.receivers.values()):
        for slot, target in enumerate(entry.slack):
            variable = target.removeprefix(_WEBHOOK)
            if target.startswith(_WEBHOOK) and not environ.get(variable):
                problems.append(
                    Problem(
                        routes.source,
                        f"receivers[{index}].slack[{slot}].webhook_url_env",
                        f"{variable} is not set: alerts to {entry.name!r} on Slack would fail",
                    )
                )
    for slot, (channel, target) in enumerate(desk.champion_targets):
        variable = target.removeprefix(_WEBHOOK)
        if channel == "slack" and target.startswith(_WEBHOOK) and not environ.get(variable):
            problems.append(
                Problem(desk_file, f"champions.slack[{slot}]", f"{variable} is not set")
            )
    for team, spec in desk.digests.teams.items():
        for slot, (_, target) in enumerate(t for t in spec.targets if t[0] == "slack"):
            variable = target.removeprefix(_WEBHOOK)
            if target.startswith(_WEBHOOK) and not environ.get(variable):
                problems.append(
                    Problem(
                        desk_file, f"digests.teams.{team}.slack[{slot}]", f"{variable} is not set"
                    )
                )
    touchpoints = routes.touchpoint_names
    for index, policy in enumerate(desk.policies):
        if policy.touchpoint and policy.touchpoint not in touchpoints:
            problems.append(
                Problem(
                    desk_file,
                    f"sla[{index}].touchpoint",
                    f"unknown touchpoint {policy.touchpoint!r} "
                    f"(known: {', '.join(sorted(touchpoints))})",
                )
            )
    for touchpoint in desk.root_causes:
        if touchpoint != "default" and touchpoint not in touchpoints:
            problems.append(Problem(desk_file, f"root_causes.{touchpoint}", "unknown touchpoint"))
    if sources is not None:
        for source in sources.by_name.values():
            default = source.mapping.touchpoint_default
            if default and default not in touchpoints:
                problems.append(
                    Problem(
                        str(sources.path),
                        f"sources.{source.name}.mapping.touchpoint_default",
                        f"unknown touchpoint {default!r}",
                    )
                )
    return problems


_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("check")
@click.option(
    "--config", "config_path", type=_FILE, help="Routing file (default: CXLOOP_ROUTES_FILE)."
)
@click.option("--desk", "desk_path", type=_FILE, help="Desk file (default: CXLOOP_DESK_FILE).")
@click.option(
    "--sources", "sources_path", type=_FILE, help="Sources file (default: CXLOOP_SOURCES_FILE)."
)
def check(config_path: Path | None, desk_path: Path | None, sources_path: Path | None) -> None:
    """Validate routes.yml, desk.yml and sources.yml, each alone and together; exit 1 naming
    the file, key and reason of every problem."""
    settings = Settings.from_env()
    routes_file = config_path or settings.routes_file
    desk_file = desk_path or settings.desk_file
    sources_file = sources_path or settings.sources_file
    try:
        routes = load_config(routes_file)
        desk = load_desk_config(desk_file)
        sources = load_sources(sources_file, os.environ)
    except (ConfigError, DeskConfigError, SourcesConfigError) as exc:
        raise click.ClickException(f"invalid configuration:\n{exc}") from exc
    problems = cross_check(routes, desk, str(desk_file), sources, os.environ)
    if problems:
        raise click.ClickException(
            "the configuration files disagree:\n" + "\n".join(str(p) for p in problems)
        )
    click.echo(
        f"{routes.source}: OK ({len(routes.touchpoints)} touchpoints, "
        f"{len(routes.receivers)} receivers, {len(routes.route.walk())} routes); "
        f"{desk_file}: OK ({len(set(desk.receiver_teams.values()))} teams); "
        f"{sources_file}: OK ({len(sources.by_name)} sources)"
    )


# `cxloop routes check` lives here, not with the router's commands: it reads every config file.
routes.add_command(check)
