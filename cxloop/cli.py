"""The `cxloop` command: run the system or one of its processes, and operate it.

Each command's module is imported when that command runs, not before: a worker or the beat
process would otherwise carry every other command's imports (the router's models and the desk
among them), about 40 MB and 1.5 s for each process started.
"""

from __future__ import annotations

from importlib import import_module

import click

from shared.settings.environment import SettingsError

# Command name -> "module:attribute" of its click command.
COMMANDS = {
    "up": "cxloop.run:up",
    "migrate": "cxloop.run:migrate",
    "serve": "cxloop.run:serve",
    "worker": "cxloop.run:worker",
    "beat": "cxloop.run:beat",
    "eval": "services.router.eval_report:command",
    "routes": "cxloop.consistency:routes",
    "model": "services.router.model_cli:model",
    "import": "services.ingest.importer:command",
    "user": "services.desk.cli:user",
    "deliveries": "services.notifier.cli:deliveries",
    "digest": "cxloop.digest_cli:digest",
    "silence": "services.desk.silence_cli:silence",
    "follow-up": "services.desk.followup_cli:follow_up",
    "settings": "cxloop.settings_cli:settings",
}


class _Main(click.Group):
    """Loads each command when asked for it. Every command reads its settings first: a bad one
    ends it naming the variable, no trace."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attribute = COMMANDS[cmd_name].partition(":")
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command), COMMANDS[cmd_name]
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Main)
def main() -> None:
    """cxloop: closed-loop customer feedback."""
