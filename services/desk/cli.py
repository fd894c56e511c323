"""`cxloop user ...`: create desk users, change passwords, disable them, end their sessions,
link them to Slack."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import click
from sqlalchemy import select

from services.desk.enums import Role
from services.desk.models import User
from services.desk.users import (
    UserError,
    add_user,
    find_user,
    issue_token,
    revoke_sessions,
    set_active,
    set_password,
)
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


def _change(email: str, change: Callable[[User], None], done: str) -> None:
    """Apply a change to one user in a transaction; unknown emails are an error."""
    settings = Settings.from_env()
    try:
        with transaction(runtime(settings).sessions) as session:
            found = find_user(session, email=email)
            if found is None:
                raise click.ClickException(f"no user with email {email}")
            change(found)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email}: {done}")


@user.command("password")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password(email: str, password_stdin: bool) -> None:
    """Set a new password; every session of the user ends."""
    if password_stdin:
        new = sys.stdin.readline().rstrip("\n")
    else:
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    _change(email, lambda u: set_password(u, new), "password changed, sessions ended")


@user.command("disable")
@click.option("--email", required=True, help="Log-in email.")
def disable(email: str) -> None:
    """Disable a user: no log-in, sessions and API tokens stop working at once."""
    _change(email, lambda u: set_active(u, False), "disabled, sessions ended")


@user.command("enable")
@click.option("--email", required=True, help="Log-in email.")
def enable(email: str) -> None:
    """Enable a disabled user again (they log in anew)."""
    _change(email, lambda u: set_active(u, True), "enabled")


@user.command("logout")
@click.option("--email", required=True, help="Log-in email.")
def logout(email: str) -> None:
    """End every session of a user (e.g. a lost laptop) without changing the password."""
    _change(email, revoke_sessions, "sessions ended")


@user.command("slack")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--member", default=None, help="Slack member id (U...); omit to unlink.")
def slack(email: str, member: str | None) -> None:
    """Link a user to their Slack member id, for one whose Slack email differs from the desk's.

    Users whose emails match are linked on their first click without this.
    """
    if member is not None and not re.fullmatch(r"[UW][A-Z0-9]{2,31}", member):
        raise click.ClickException(f"{member!r} is not a Slack member id (like U024BE7LH)")
    settings = Settings.from_env()
    with transaction(runtime(settings).sessions) as session:
        if member is not None:
            holder = session.scalar(select(User).where(User.slack_user_id == member))
            if holder is not None and holder.email != email.strip().lower():
                raise click.ClickException(f"{member} is linked to {holder.email}; unlink it first")
    _change(email, lambda u: setattr(u, "slack_user_id", member),
            f"linked to Slack member {member}" if member else "unlinked from Slack")  # fmt: skip
