"""`cxloop settings`: the settings reference, from the one place that defines them."""

from __future__ import annotations

import click

from shared.settings import Settings
from shared.settings.reference import reference


@click.command()
@click.option(
    "--check", is_flag=True, help="Validate this environment's settings instead of printing."
)
def settings(check: bool) -> None:
    """Print every CXLOOP_* variable with its default and meaning (a Markdown table)."""
    if not check:
        click.echo(reference(), nl=False)
        return
    loaded = Settings.from_env()
    webhooks = ", ".join(loaded.slack_webhooks) or "none"
    click.echo(f"settings are valid (Slack webhook variables read: {webhooks})")
