"""`cxloop model`: the touchpoint models learnt from corrections and confirmations, listed,
trained, rolled back."""

from __future__ import annotations

import click

from services.router import model_service
from services.router.config import ConfigError, load_config
from services.router.decision import detector_for
from shared.db import transaction
from shared.models import TouchpointModel, utcnow
from shared.runtime import runtime
from shared.settings import Settings


@click.group(name="model")
def model() -> None:
    """List, train and roll back the touchpoint models learnt from corrections and from cases
    closed as routed."""


def _line(row: TouchpointModel) -> str:
    m = row.metrics
    figures = (
        f"held-back accuracy {m.get('descriptions_accuracy', 0):.3f} -> "
        f"{m.get('blend_accuracy', 0):.3f} on {m.get('held_back', 0)}"
    )
    return (
        f"v{row.id:<4} {row.status:<9} {row.created_at:%Y-%m-%d %H:%M}  "
        f"{row.examples} examples ({m.get('corrections', row.examples)} corrected, "
        f"{m.get('confirmations', 0)} closed as routed)  {figures}  ({m.get('reason', '')})"
    )


@model.command("list")
def list_() -> None:
    """Print every version, newest first, with its status and the gate's figures."""
    settings = Settings.from_env()
    with transaction(runtime(settings).sessions) as session:
        rows = model_service.list_models(session)
    if not rows:
        click.echo("no touchpoint model yet: the router uses the descriptions alone")
    for row in rows:
        click.echo(_line(row))


@model.command("train")
def train() -> None:
    """Train a version now from every correction and confirmation, however few corrections
    arrived since the last one."""
    settings = Settings.from_env()
    try:
        config = load_config(settings.routes_file)
    except ConfigError as exc:
        raise click.ClickException(f"invalid routing file:\n{exc}") from exc
    row = model_service.retrain(
        runtime(settings).sessions, config=config, detector=detector_for(config), min_new=1,
        now=utcnow(),
    )  # fmt: skip
    if row is None:
        raise click.ClickException("no correction since the newest version: nothing to train")
    click.echo(_line(row))


@model.command("rollback")
def rollback() -> None:
    """Retire the active version and switch the previous active one back on, if any."""
    settings = Settings.from_env()
    with transaction(runtime(settings).sessions) as session:
        retired, restored = model_service.rollback(session, now=utcnow())
    if retired is None:
        raise click.ClickException("no active touchpoint model to roll back")
    after = f"v{restored.id} is active again" if restored else "descriptions alone are used"
    click.echo(f"v{retired.id} retired; {after}")
