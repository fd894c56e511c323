"""`cxloop silence add|list|expire`: silences from the command line, in the manner of amtool."""

from __future__ import annotations

import getpass
import json
import re
from datetime import UTC, datetime, timedelta

import click

from shared import silences
from shared.db import transaction
from shared.runtime import runtime
from shared.settings import Settings

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_duration(text: str) -> timedelta:
    """Read 90m, 2h, 1d12h (amtool's units); raise click.BadParameter otherwise."""
    found = _DURATION.fullmatch(text.strip())
    if not text.strip() or found is None or not any(found.groups()):
        raise click.BadParameter(f"{text!r} is not a duration such as 90m, 2h or 1d12h")
    days, hours, minutes = (int(g or 0) for g in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _now() -> datetime:
    return datetime.now(UTC)


@click.group()
def silence() -> None:
    """Mute alerts for matching cases; the cases are still opened and counted."""


@silence.command("add")
@click.argument("matchers", nargs=-1, required=True)
@click.option("--duration", "-d", default="1h", show_default=True, help="90m, 2h, 1d12h ...")
@click.option("--comment", "-c", required=True, help="Why (an incident, a planned outage).")
@click.option("--author", "-a", default=None, help="Who (default: your login name).")
def add(matchers: tuple[str, ...], duration: str, comment: str, author: str | None) -> None:
    """Add a silence: MATCHERS are routing-label matchers, e.g. 'touchpoint="checkout"'."""
    now = _now()
    new = silences.NewSilence(
        matchers=matchers, ends_at=now + parse_duration(duration), comment=comment,
        created_by=author or f"cli:{getpass.getuser()}",
    )  # fmt: skip
    try:
        with transaction(runtime(Settings.from_env()).sessions) as session:
            created = silences.create(session, new, now=now)
            number, until = created.id, created.ends_at
    except silences.SilenceError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from exc
    click.echo(f"silence #{number} until {until.isoformat(timespec='minutes')}")


@silence.command("list")
@click.option("--expired", is_flag=True, help="Include silences that are over.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per silence.")
def list_(expired: bool, as_json: bool) -> None:
    """List silences, newest first."""
    now = _now()
    with transaction(runtime(Settings.from_env()).sessions) as session:
        for s in silences.listed(session, now=now, include_expired=expired):
            row = {
                "id": s.id, "state": silences.state(s, now), "matchers": s.matchers["matchers"],
                "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(),
                "created_by": s.created_by, "comment": s.comment,
                "expired_at": s.expired_at.isoformat() if s.expired_at else None,
                "expired_by": s.expired_by,
            }  # fmt: skip
            if as_json:
                click.echo(json.dumps(row))
            else:
                until = (s.expired_at or s.ends_at).isoformat(timespec="minutes")
                click.echo(
                    f"#{s.id}\t{row['state']}\t{', '.join(row['matchers'])}\tuntil {until}"
                    f"\t{s.created_by}\t{s.comment}"
                )


@silence.command("expire")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--author", "-a", default=None, help="Who (default: your login name).")
def expire(ids: tuple[int, ...], author: str | None) -> None:
    """Expire silences now, by id."""
    by = author or f"cli:{getpass.getuser()}"
    with transaction(runtime(Settings.from_env()).sessions) as session:
        for number in ids:
            try:
                silences.expire(session, number, by=by, now=_now())
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc
    click.echo(f"expired {', '.join(f'#{n}' for n in ids)}")
