"""`cxloop digest preview|send`: show a team's or an owner's digest, or send it now.

Bad input (an unknown team or owner, a period without a schedule, nowhere to send) is refused
before anything is stored, with exit code 2 and the option named.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import click
from sqlalchemy.orm import Session

from services.desk.config import DeskConfig, desk_config
from services.desk.digest_config import PERIODS
from services.desk.digest_figures import Window
from services.desk.digest_schedule import OWNERS, TEAM, DueDigest, Occurrence, latest
from services.desk.enums import Role
from services.desk.models import User
from services.desk.users import find_user
from services.notifier import digests
from services.notifier.digest_render import digest_email, digest_slack
from shared.db import transaction
from shared.models import utcnow
from shared.runtime import runtime
from shared.settings import Settings
from shared.sla import DeskConfigError

FORMATS = ("text", "html", "slack")


def _config(settings: Settings) -> DeskConfig:
    try:
        return desk_config(settings.desk_file)
    except DeskConfigError as exc:
        raise click.ClickException(f"invalid config file:\n{exc}") from None


def _at(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "must be a time like 2026-11-30T08:30+01:00", param_hint="--at"
        ) from None
    if at.tzinfo is None:
        raise click.BadParameter("needs a UTC offset, e.g. +00:00", param_hint="--at")
    return at.astimezone(UTC)


def _occurrence(config: DeskConfig, period: str, team: str | None, now: datetime) -> Occurrence:
    schedule = config.digests.schedules.get(period)
    if schedule is None:
        raise click.BadParameter(
            f"no {period} digest in the desk file: add digests.{period}",
            param_hint="--period",
        )
    try:
        return latest(period, schedule, config.timezone_of(team), now)
    except OverflowError:
        raise click.BadParameter("is too far in the past or future", param_hint="--at") from None


def _who(session: Session, config: DeskConfig, team: str | None, owner: str | None) -> User | None:
    if (team is None) == (owner is None):
        raise click.UsageError("give exactly one of --team or --owner")
    if team is not None:
        if team not in config.teams:
            known = ", ".join(config.teams) or "none"
            raise click.BadParameter(f"no team {team!r} in the desk file (known: {known})",
                                     param_hint="--team")  # fmt: skip
        return None
    user = find_user(session, email=owner or "")
    if user is None or not user.active or user.role != Role.OWNER:
        raise click.BadParameter(f"{owner!r} is not an active desk user with the owner role",
                                 param_hint="--owner")  # fmt: skip
    return user


def _options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed([
        click.option("--team", default=None, help="A team of the desk file."),
        click.option("--owner", default=None, help="An owner's desk email."),
        click.option("--period", required=True, type=click.Choice(PERIODS)),
    ]):  # fmt: skip
        command = option(command)
    return command


@click.group()
def digest() -> None:
    """Daily and weekly digests of open cases, breaches, themes and the closed loop."""


@digest.command("preview")
@_options
@click.option(
    "--at",
    "at",
    default=None,
    help="Build the digest due last before this time (ISO 8601); default now.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def preview(team: str | None, owner: str | None, period: str, at: str | None, fmt: str) -> None:
    """Print a digest as it would be sent now; nothing is stored or sent."""
    settings = Settings.from_env()
    config, now = _config(settings), _at(at)
    with runtime(settings).sessions() as session:
        user = _who(session, config, team, owner)
        team_of = user.team.name if user is not None and user.team else team
        found = _occurrence(config, period, team_of, now)
        built = digests.build(
            session, config=config, public_url=settings.public_url, period=period,
            span=Window(found.since, found.due_at), now=now, team=team, user=user,
        )  # fmt: skip
    if fmt == "slack":
        click.echo(json.dumps(digest_slack(built), indent=2, ensure_ascii=False))
        return
    email = digest_email(built)
    click.echo(email.html if fmt == "html" else f"Subject: {email.subject}\n\n{email.text}")


@digest.command("send")
@_options
def send(team: str | None, owner: str | None, period: str) -> None:
    """Send a digest now to its configured targets (a team's, or the owner's own)."""
    settings = Settings.from_env()
    config, now = _config(settings), utcnow()
    sessions = runtime(settings).sessions
    with transaction(sessions) as session:
        user = _who(session, config, team, owner)
        if team is not None and team not in config.digests.teams:
            raise click.BadParameter(
                f"no digest targets for team {team!r}: add digests.teams.{team} to the desk file",
                param_hint="--team",
            )
        team_of = (user.team.name if user.team else None) if user is not None else team
        found = _occurrence(config, period, team_of, now)
        due = DueDigest(OWNERS if user is not None else TEAM, team_of, found)
        ids = digests.plan_now(session, due, config, now=now, user=user)
        if not ids:
            raise click.ClickException("nowhere to send it: the owner has no email or Slack id")
    failed = 0
    for send_id in ids:
        outcome = digests.send(sessions, settings, config, send_id, now=now)
        failed += outcome.status != "sent"
        click.echo(f"digest send {send_id}: {outcome.status} {outcome.error}".rstrip())
    if failed:
        raise click.ClickException(f"{failed} of {len(ids)} sends did not go out (retried by beat)")
