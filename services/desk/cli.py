"""`cxloop user ...`: create, list, disable and enable desk users, set passwords and roles,
end their sessions, revoke their API tokens, set days away and link them to Slack. Every change
is audited (actor `cli:<you>`)."""

from __future__ import annotations

import getpass
import json
import re
import sys
from datetime import datetime

import click
from sqlalchemy import select

from services.desk import people
from services.desk.enums import Role
from services.desk.models import User
from services.desk.users import UserError, find_user, issue_token
from shared.db import transaction
from shared.models import utcnow
from shared.runtime import runtime
from shared.settings import Settings


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli"


@click.group()
def user() -> None:
    """Manage the people who use the case desk."""


def _read_password(password_stdin: bool, prompt: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


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
    password = _read_password(password_stdin, "Password")
    settings = Settings.from_env()
    try:
        with transaction(runtime(settings).sessions) as session:
            created = people.create(
                session, actor=_actor(), now=utcnow(), email=email, password=password, role=role,
                name=name, team=team, lead=lead,
            )  # fmt: skip
            token = issue_token(session, user=created, name=token_name) if token_name else None
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {created.email} ({created.role})")
    if token:
        click.echo(f"API token (shown once): {token}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
def list_users(as_json: bool) -> None:
    """List every user: role, team, whether active, last log-in and working API tokens."""
    settings = Settings.from_env()
    with runtime(settings).sessions() as session:
        rows = [p.as_dict() for p in people.people(session)]
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    header = ("EMAIL", "NAME", "ROLE", "TEAM", "STATUS", "LAST LOG-IN", "TOKENS")
    table = [header] + [
        (r["email"], r["name"], r["role"], r["team"] or "-",
         "active" if r["active"] else "disabled",
         r["last_login_at"].strftime("%Y-%m-%d %H:%M") if r["last_login_at"] else "never",
         str(r["api_tokens"]))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _change(email: str, action: str, value: str = "") -> None:
    """Apply one audited change to a user; unknown emails and refused changes exit 1."""
    settings = Settings.from_env()
    try:
        with transaction(runtime(settings).sessions) as session:
            found = find_user(session, email=email)
            if found is None:
                raise click.ClickException(f"no user with email {email}")
            done = people.change(
                session, actor=_actor(), actor_id=None, user=found, action=action,
                now=utcnow(), value=value,
            )  # fmt: skip
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{found.email}: {done}")


@click.command("set-password")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(email: str, password_stdin: bool) -> None:
    """Set a new password; every session of the user ends."""
    _change(email, "set_password", _read_password(password_stdin, "New password"))


user.add_command(set_password)
user.add_command(set_password, "password")  # the earlier name, kept for scripts


@user.command("disable")
@click.option("--email", required=True, help="Log-in email.")
def disable(email: str) -> None:
    """Disable a user: no log-in, sessions and API tokens stop working at once."""
    _change(email, "disable")


@user.command("enable")
@click.option("--email", required=True, help="Log-in email.")
def enable(email: str) -> None:
    """Enable a disabled user again (they log in anew)."""
    _change(email, "enable")


@user.command("set-role")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
def set_role(email: str, role: str) -> None:
    """Give a user another role (the desk never goes without an active admin)."""
    _change(email, "set_role", role)


@user.command("logout")
@click.option("--email", required=True, help="Log-in email.")
def logout(email: str) -> None:
    """End every browser session of a user (a lost laptop) without changing the password."""
    _change(email, "end_sessions")


@user.command("revoke-token")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--name", default="", help="Only the tokens with this name (default: all).")
def revoke_token(email: str, name: str) -> None:
    """Revoke a user's API tokens (`Authorization: Bearer cxd_...`); they stop at once."""
    _change(email, "revoke_tokens", name)


@user.command("away")
@click.option("--email", required=True, help="Log-in email.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day away.")
@click.option("--until", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day away.")
@click.option("--back", is_flag=True, help="Clear the out-of-office days.")
def away(email: str, start: datetime | None, end: datetime | None, back: bool) -> None:
    """Set out-of-office days: round-robin assignment skips the person on them."""
    if back and (start or end):
        raise click.UsageError("--back clears the days; do not give --from or --until with it")
    if not back and not (start or end):
        raise click.UsageError("give --from and/or --until, or --back")
    first, last = (start.date() if start else None), (end.date() if end else None)
    if first and last and last < first:
        raise click.BadParameter("--until is before --from", param_hint="--until")

    _change(email, "set_away", "" if back else f"{first or ''}..{last or ''}")


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
    _change(email, "set_slack", member or "")
