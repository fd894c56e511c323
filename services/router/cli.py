"""`cxloop routes`: check the routing file and see where responses would go, like amtool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click
from marshmallow import ValidationError

from services.router.config import ConfigError, RouterConfig, load_config
from services.router.decision import detector_for, route_response
from shared.schemas import load_response
from shared.settings import Settings

OUTPUT_KEYS = (
    "response_id", "dissatisfied", "reasons", "polarity", "touchpoints", "receivers", "priority",
    "touchpoint", "owner", "evidence", "explanation",
)  # fmt: skip

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Routing file (default: CXLOOP_ROUTES_FILE, else the shipped retailer example).",
)


@click.group(name="routes")
def routes() -> None:
    """Check the routing file and test where responses would go."""


def _load(config_path: Path | None) -> RouterConfig:
    path = config_path or Settings.from_env().routes_file
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(f"invalid routing file:\n{exc}") from exc


@routes.command("test")
@_config_option
@click.argument("input_file", metavar="[INPUT.jsonl]", type=click.File("r"), default="-")
def test(config_path: Path | None, input_file: IO[str]) -> None:
    """Print one JSON line per response (generic form, one per line) saying where it would go.

    No side effects: nothing is stored and nothing is sent. Invalid lines are reported as JSON
    error lines with their line number, and make the command exit 1 at the end.
    """
    config = _load(config_path)
    detector = detector_for(config)
    failed = 0
    for number, line in enumerate(input_file, start=1):
        if not line.strip():
            continue
        try:
            response = load_response(json.loads(line))
        except json.JSONDecodeError as exc:
            failed += 1
            _emit({"line": number, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"})
            continue
        except ValidationError as exc:
            failed += 1
            _emit({"line": number, "error": "invalid response", "fields": exc.messages})
            continue
        outcome = route_response(config, detector, response).to_dict()
        _emit({key: outcome[key] for key in OUTPUT_KEYS} | _grouped(config, outcome))
    if failed:
        raise click.exceptions.Exit(1)


def _grouped(config: RouterConfig, outcome: dict[str, Any]) -> dict[str, Any]:
    """The incidents the case would join: route, receiver, group values and timers (if any)."""
    grouped = [
        {"route": node.path, "receiver": node.receiver,
         "group": node.grouping.values(outcome["labels"], node.receiver),
         "group_wait_s": node.grouping.wait_s, "group_interval_s": node.grouping.interval_s,
         "repeat_interval_s": node.grouping.repeat_s}
        for node in config.nodes(outcome["routes"])
        if node.grouping is not None
    ]  # fmt: skip
    return {"incidents": grouped} if grouped else {}


def _emit(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False, default=str))
