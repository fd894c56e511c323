"""The `digests` section of desk.yml: when daily and weekly digests go out, and to whom.

Times are local to each team's time zone (`teams.<name>.timezone`, else the business hours').
Validated with the rest of the file: a bad section fails at start naming the key and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from shared.sla import DAYS, DeskConfigError, parse_duration
from shared.sla import known as _known
from shared.sla import mapping as _mapping

PERIODS = ("daily", "weekly")
OWNER_CHANNELS = ("email", "slack")


@dataclass(frozen=True)
class Schedule:
    """When one period's digest is due: a local time, and for the weekly one a weekday."""

    at: time
    weekday: int | None = None  # 0 = Monday; None for the daily digest


@dataclass(frozen=True)
class TeamDigest:
    """Where a team's digest goes: its periods and its (channel, target) pairs."""

    periods: tuple[str, ...]
    targets: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OwnerDigests:
    """Every owner's own digest: its periods and which of their channels (from their record)."""

    periods: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestConfig:
    """The whole section; empty when the file has none (no digest is ever due)."""

    schedules: dict[str, Schedule] = field(default_factory=dict)
    teams: dict[str, TeamDigest] = field(default_factory=dict)
    owners: OwnerDigests = field(default_factory=OwnerDigests)
    catch_up: timedelta = timedelta(hours=6)
    themes_lookback: timedelta = timedelta(days=28)


def _clock(value: Any, where: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 08:30 as 510
        raise DeskConfigError(f'{where}: quote the time, as in at: "08:30"')
    text = str(value)
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 5 or parsed.second or parsed.tzinfo is not None:
        raise DeskConfigError(f"{where}: {value!r} is not a local time like '08:30' (HH:MM)")
    return parsed


def _schedule(data: Any, where: str, weekly: bool) -> Schedule:
    data = _mapping(data, where)
    if True in data:
        raise DeskConfigError(f"{where}: YAML reads a bare `on`/`yes` key as true; use `day: mon`")
    _known(data, {"at", "day"} if weekly else {"at"}, where)
    if "at" not in data:
        raise DeskConfigError(f"{where}.at: required (a local time like '08:30')")
    at = _clock(data["at"], f"{where}.at")
    if not weekly:
        return Schedule(at)
    day = data.get("day")
    if day not in DAYS:
        raise DeskConfigError(f"{where}.day: must be one of {', '.join(DAYS)}")
    return Schedule(at, DAYS.index(day))


def _periods(value: Any, where: str, scheduled: dict[str, Schedule]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or any(p not in PERIODS for p in value):
        raise DeskConfigError(f"{where}: must be a non-empty list of {', '.join(PERIODS)}")
    for period in value:
        if period not in scheduled:
            raise DeskConfigError(f"{where}: {period!r} has no schedule (add digests.{period})")
    return tuple(dict.fromkeys(value))


def _targets(data: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    emails = data.get("email") or []
    if not isinstance(emails, list):
        raise DeskConfigError(f"{where}.email: must be a list of addresses")
    targets = []
    for index, address in enumerate(emails):
        if not isinstance(address, str) or "@" not in address or any(c.isspace() for c in address):
            raise DeskConfigError(f"{where}.email[{index}]: {address!r} is not an email address")
        targets.append(("email", address))
    slack = data.get("slack") or []
    if not isinstance(slack, list):
        raise DeskConfigError(f"{where}.slack: must be a list of webhook_url_env or channel")
    for index, item in enumerate(slack):
        item = _mapping(item, f"{where}.slack[{index}]")
        _known(item, {"webhook_url_env", "channel"}, f"{where}.slack[{index}]")
        if len(item) != 1 or not isinstance(next(iter(item.values())), str):
            raise DeskConfigError(f"{where}.slack[{index}]: needs webhook_url_env or channel")
        kind, value = next(iter(item.items()))
        targets.append(
            ("slack", f"{'webhook' if kind == 'webhook_url_env' else 'channel'}:{value}")
        )
    if not targets:
        raise DeskConfigError(f"{where}: needs at least one email or slack target")
    return tuple(targets)


def _owners(data: Any, scheduled: dict[str, Schedule]) -> OwnerDigests:
    where = "digests.owners"
    data = _mapping(data, where)
    if not data:
        return OwnerDigests()
    _known(data, {"periods", "channels"}, where)
    channels = data.get("channels", list(OWNER_CHANNELS))
    if (
        not isinstance(channels, list)
        or not channels
        or any(c not in OWNER_CHANNELS for c in channels)
    ):
        raise DeskConfigError(f"{where}.channels: must be a non-empty list of email, slack")
    periods = _periods(data.get("periods"), f"{where}.periods", scheduled)
    return OwnerDigests(periods, tuple(dict.fromkeys(channels)))


def parse_digests(data: Any, teams: tuple[str, ...]) -> DigestConfig:
    """Validate the `digests` section against the file's teams and build its config."""
    data = _mapping(data, "digests")
    if not data:
        return DigestConfig()
    _known(data, {*PERIODS, "teams", "owners", "catch_up", "themes_lookback"}, "digests")
    schedules = {
        period: _schedule(data[period], f"digests.{period}", weekly=period == "weekly")
        for period in PERIODS
        if period in data
    }
    team_digests = {}
    for team, spec in _mapping(data.get("teams"), "digests.teams").items():
        where = f"digests.teams.{team}"
        if str(team) not in teams:
            raise DeskConfigError(f"{where}: no team {team!r} under teams")
        spec = _mapping(spec, where)
        _known(spec, {"periods", "email", "slack"}, where)
        periods = _periods(spec.get("periods", list(schedules)), f"{where}.periods", schedules)
        team_digests[str(team)] = TeamDigest(periods, _targets(spec, where))
    catch_up = parse_duration(data.get("catch_up", "6h"), "digests.catch_up")
    if not timedelta(minutes=5) <= catch_up <= timedelta(hours=23):
        raise DeskConfigError("digests.catch_up: must be between 5m and 23h")
    lookback = parse_duration(data.get("themes_lookback", "28d"), "digests.themes_lookback")
    if lookback < timedelta(days=1):
        raise DeskConfigError("digests.themes_lookback: must be at least 1d")
    return DigestConfig(
        schedules=schedules,
        teams=team_digests,
        owners=_owners(data.get("owners"), schedules),
        catch_up=catch_up,
        themes_lookback=lookback,
    )
