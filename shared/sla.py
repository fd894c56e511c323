"""The SLA part of desk.yml, shared: the desk tracks deadlines, the router stamps them on new cases.

Only `business_hours`, `sla` and the teams' holidays are read here; the desk validates the whole
file. Pure maths over an injected time, and a loader that re-reads the file when it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from shared import yaml_load
from shared.enums import Priority
from shared.reload import ReloadOnChange

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?")


class DeskConfigError(ValueError):
    """The desk file is invalid; the message names the file, the key and the reason."""


@dataclass(frozen=True)
class BusinessHours:
    """Working time in one timezone: SLA clocks only run inside it."""

    timezone: ZoneInfo
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    holidays: frozenset[date] = frozenset()  # whole days off, in the hours' own timezone


@dataclass(frozen=True)
class SlaPolicy:
    """Time to acknowledge and to resolve for cases matching a priority and/or touchpoint."""

    acknowledge: timedelta
    resolve: timedelta
    priority: str | None = None
    touchpoint: str | None = None
    business_hours: BusinessHours | None = None

    def matches(self, *, priority: str, touchpoint: str) -> bool:
        """Return whether a case with these labels falls under this policy."""
        return (self.priority in (None, priority)) and (self.touchpoint in (None, touchpoint))


@dataclass(frozen=True)
class Deadlines:
    """When a case must be acknowledged and resolved."""

    acknowledge: datetime
    resolve: datetime


@dataclass(frozen=True)
class SlaRules:
    """The policies, and the holidays each team adds to their business hours."""

    policies: tuple[SlaPolicy, ...] = ()
    team_holidays: Mapping[str, frozenset[date]] = field(default_factory=dict)
    receiver_teams: Mapping[str, str] = field(default_factory=dict)  # routing receiver -> team

    def hours_of(self, policy: SlaPolicy, team: str | None) -> BusinessHours | None:
        """Return the policy's business hours with the team's holidays added."""
        return with_holidays(policy.business_hours, self.team_holidays.get(team or "", frozenset()))


def first_policy(
    policies: tuple[SlaPolicy, ...], *, priority: str, touchpoint: str
) -> SlaPolicy | None:
    """Return the first policy matching the case, as in a routing table."""
    for policy in policies:
        if policy.matches(priority=priority, touchpoint=touchpoint):
            return policy
    return None


def with_holidays(hours: BusinessHours | None, extra: frozenset[date]) -> BusinessHours | None:
    """Return the hours with more days off (wall-clock policies have no days off)."""
    if hours is None or not extra:
        return hours
    return replace(hours, holidays=hours.holidays | extra)


def _working_spans(start: datetime, hours: BusinessHours) -> Iterator[tuple[datetime, datetime]]:
    """Yield the working intervals from `start` on, in order; at most ten years of days."""
    zone = hours.timezone
    cursor = start.astimezone(zone)
    day = cursor.date()
    for _ in range(3700):  # ample for any SLA, and never an endless loop
        if day.weekday() in hours.days and day not in hours.holidays:
            # Aware arithmetic in one zone is wall-clock: a DST day's span is its real length
            # only after converting to UTC, so both ends are converted before subtracting.
            opens = datetime.combine(day, hours.start, zone).astimezone(UTC)
            closes = datetime.combine(day, hours.end, zone).astimezone(UTC)
            begin = max(cursor.astimezone(UTC), opens)
            if begin < closes:
                yield begin, closes
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, zone)
    raise ValueError("business hours leave no working time to count")


def add_business_time(
    start: datetime, duration: timedelta, hours: BusinessHours | None
) -> datetime:
    """Return when `duration` of working time after `start` has passed (wall clock if no hours)."""
    if hours is None:
        return start + duration
    remaining = duration
    for begin, closes in _working_spans(start, hours):
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable: the spans end by raising")


def business_time_between(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """Return how much working time lies between two moments (none if end is not later)."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    total = timedelta(0)
    for begin, closes in _working_spans(start, hours):
        if begin >= end:
            break
        total += min(closes, end) - begin
    return total


def deadlines(created_at: datetime, policy: SlaPolicy) -> Deadlines:
    """Compute a case's deadlines from its creation time and policy."""
    return Deadlines(
        acknowledge=add_business_time(created_at, policy.acknowledge, policy.business_hours),
        resolve=add_business_time(created_at, policy.resolve, policy.business_hours),
    )


def deadlines_for(
    rules: SlaRules, *, priority: str, touchpoint: str, created_at: datetime, team: str | None
) -> Deadlines | None:
    """Return the deadlines the rules give a case of this team, or None when none applies."""
    policy = first_policy(rules.policies, priority=priority, touchpoint=touchpoint)
    if policy is None:
        return None
    return deadlines(created_at, replace(policy, business_hours=rules.hours_of(policy, team)))


def parse_duration(text: Any, where: str) -> timedelta:
    """Parse '90m', '4h', '2d', '1d 4h'; a bare number means minutes."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return timedelta(minutes=text)
    match = _DURATION.fullmatch(str(text).strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise DeskConfigError(f"{where}: {text!r} is not a duration like '30m', '4h' or '2d'")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def mapping(value: Any, where: str) -> dict[str, Any]:
    """Return a mapping from the file (None reads as empty); anything else is an error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeskConfigError(f"{where}: must be a mapping")
    return value


def known(data: dict[str, Any], allowed: set[str], where: str) -> None:
    """Reject keys the file format does not have."""
    unknown = sorted(str(key) for key in set(data) - allowed)  # YAML reads `on:` as True
    if unknown:
        raise DeskConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _clock(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise DeskConfigError(f"{where}: {value!r} is not a time like '09:00'") from None


def parse_holidays(value: Any, where: str) -> frozenset[date]:
    """Validate a list of days off given as ISO dates ('2026-12-25')."""
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise DeskConfigError(f"{where}: must be a list of dates like '2026-12-25'")
    days: set[date] = set()
    for index, item in enumerate(value):
        day = _iso_date(item)
        if day is None:
            raise DeskConfigError(f"{where}[{index}]: {item!r} is not a date like '2026-12-25'")
        days.add(day)
    return frozenset(days)


def _iso_date(item: Any) -> date | None:
    if isinstance(item, datetime):
        return None
    if isinstance(item, date):
        return item  # YAML reads an unquoted 2026-12-25 as a date already
    try:
        return date.fromisoformat(item.strip()) if isinstance(item, str) else None
    except ValueError:
        return None


def parse_business_hours(data: Any, where: str) -> BusinessHours:
    """Validate a business_hours mapping."""
    data = mapping(data, where)
    known(data, {"timezone", "days", "start", "end", "holidays"}, where)
    try:
        zone = ZoneInfo(str(data.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        raise DeskConfigError(f"{where}.timezone: unknown timezone {data['timezone']!r}") from None
    days = data.get("days", list(DAYS[:5]))
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise DeskConfigError(f"{where}.days: must be a non-empty list of {', '.join(DAYS)}")
    start = _clock(data.get("start", "09:00"), f"{where}.start")
    end = _clock(data.get("end", "17:00"), f"{where}.end")
    if end <= start:
        raise DeskConfigError(f"{where}: end must be after start")
    holidays = parse_holidays(data.get("holidays"), f"{where}.holidays")
    return BusinessHours(zone, frozenset(DAYS.index(d) for d in days), start, end, holidays)


def _policy(data: Any, where: str, hours: BusinessHours | None) -> SlaPolicy:
    data = mapping(data, where)
    known(data, {"priority", "touchpoint", "acknowledge", "resolve", "business_hours"}, where)
    for key in ("acknowledge", "resolve"):
        if key not in data:
            raise DeskConfigError(f"{where}.{key}: required")
    priority = data.get("priority")
    if priority is not None and priority not in set(Priority):
        raise DeskConfigError(f"{where}.priority: must be one of {', '.join(Priority)}")
    uses_hours = data.get("business_hours", True)
    if not isinstance(uses_hours, bool):
        raise DeskConfigError(f"{where}.business_hours: must be true or false")
    ack = parse_duration(data["acknowledge"], f"{where}.acknowledge")
    resolve = parse_duration(data["resolve"], f"{where}.resolve")
    if resolve < ack:
        raise DeskConfigError(f"{where}: resolve must not be shorter than acknowledge")
    touchpoint = data.get("touchpoint")
    return SlaPolicy(
        acknowledge=ack,
        resolve=resolve,
        priority=priority,
        touchpoint=str(touchpoint) if touchpoint is not None else None,
        business_hours=hours if uses_hours else None,
    )


def parse_sla_policies(data: dict[str, Any]) -> tuple[SlaPolicy, ...]:
    """Validate the business_hours and sla sections of a parsed desk document."""
    hours = (
        parse_business_hours(data["business_hours"], "business_hours")
        if data.get("business_hours")
        else None
    )
    sla = data.get("sla")
    if not isinstance(sla, list) or not sla:
        raise DeskConfigError("sla: must be a non-empty list of policies (first match wins)")
    policies = tuple(_policy(item, f"sla[{i}]", hours) for i, item in enumerate(sla))
    if policies[-1].priority is not None or policies[-1].touchpoint is not None:
        raise DeskConfigError(
            f"sla[{len(sla) - 1}]: the last policy must match every case (no priority/touchpoint)"
        )
    return policies


def parse_team_calendars(data: dict[str, Any]) -> tuple[dict[str, frozenset[date]], dict[str, str]]:
    """Return each team's holidays and the team of each routing receiver, from `teams`."""
    holidays: dict[str, frozenset[date]] = {}
    receivers: dict[str, str] = {}
    for team, spec in mapping(data.get("teams"), "teams").items():
        spec = mapping(spec, f"teams.{team}")
        if spec.get("holidays") is not None:
            holidays[str(team)] = parse_holidays(spec["holidays"], f"teams.{team}.holidays")
        for receiver in spec.get("receivers") or []:
            if receiver in receivers:
                raise DeskConfigError(f"teams.{team}.receivers: {receiver!r} is in two teams")
            receivers[str(receiver)] = str(team)
    return holidays, receivers


def parse_sla_rules(data: dict[str, Any]) -> SlaRules:
    """Validate the parts of a parsed desk document that set deadlines."""
    holidays, receivers = parse_team_calendars(data)
    return SlaRules(parse_sla_policies(data), holidays, receivers)


class _Loader(yaml_load.SafeLoader):  # type: ignore[valid-type,misc]
    """Safe YAML whose impossible dates (2026-02-30) stay text, so validation names their key."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml(text: str) -> Any:
    """Parse a desk document (safe YAML; an impossible date is left as text)."""
    return yaml.load(text, Loader=_Loader)


def _load_rules(path: Path) -> SlaRules:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
        return parse_sla_rules(mapping(data, "desk"))
    except (OSError, yaml.YAMLError, DeskConfigError) as exc:
        raise DeskConfigError(f"{path}: {exc}") from exc


_rules = ReloadOnChange(_load_rules)


def sla_rules(path: Path) -> SlaRules:
    """Return the SLA rules of a desk file, re-read when it changes on disk."""
    try:
        return _rules(path.resolve())
    except OSError as exc:
        raise DeskConfigError(f"{path}: cannot read: {exc.strerror}") from exc
