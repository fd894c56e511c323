"""`cxloop user add`: create desk users (the first admin, champions, owners, viewers)."""

from __future__ import annotations

import sys

import click

from services.desk.enums import Role
from services.desk.users import UserError, add_user, issue_token
from shared.db import transaction
from shared.runtime import runtime
from shared.settings import Settings


@click.group()
def user() -> None:
    """Manage the people who use the case desk."""


@user.command("add")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default="", help="Display name.")
@click.option("--team", default=None, help="Team name (created if new).")
@click.option("--lead", is_flag=True, help="Make the user the lead of --team.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--token", "token_name", default=None, help="Also issue an API token with this name.")
def add(
    email: str, role: str, name: str, team: str | None, lead: bool, password_stdin: bool,
    token_name: str | None,
) -> None:  # fmt: skip
    """Create a user; the password is prompted for (or read from stdin), never an argument."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = Settings.from_env()
    try:
        with transaction(runtime(settings).sessions) as session:
            created = add_user(
                session, email=email, password=password, role=role, name=name, team=team,
                lead=lead,
            )  # fmt: skip
            token = issue_token(session, user=created, name=token_name) if token_name else None
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {created.email} ({created.role})")
    if token:
        click.echo(f"API token (shown once): {token}")
