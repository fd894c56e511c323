"""The `cxloop` command: run the system or one of its processes, and operate it."""

from __future__ import annotations

import click

from cxloop import consistency, run, settings_cli
from cxloop.digest_cli import digest
from services.desk import cli as desk_cli
from services.desk.followup_cli import follow_up
from services.desk.silence_cli import silence
from services.ingest import importer
from services.notifier.cli import deliveries
from services.router import eval_report
from services.router.cli import routes
from services.router.model_cli import model
from shared.settings.environment import SettingsError


class _Main(click.Group):
    """Every command reads its settings first: a bad one ends it naming the variable, no trace."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Main)
def main() -> None:
    """cxloop: closed-loop customer feedback."""


main.add_command(run.up)
main.add_command(run.migrate)
main.add_command(run.serve)
main.add_command(run.worker)
main.add_command(run.beat)
main.add_command(eval_report.command)
routes.add_command(consistency.check)
main.add_command(routes)
main.add_command(model)
main.add_command(importer.command)
main.add_command(desk_cli.user)
main.add_command(deliveries)
main.add_command(digest)
main.add_command(silence)
main.add_command(follow_up)
main.add_command(settings_cli.settings)
