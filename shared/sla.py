"""The SLA part of desk.yml, shared: the desk tracks deadlines, the router stamps them on new cases.

Only the `business_hours` and `sla` sections are read here; the desk validates the whole file.
Pure maths over an injected time, and a loader that re-reads the file when it changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

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


def first_policy(
    policies: tuple[SlaPolicy, ...], *, priority: str, touchpoint: str
) -> SlaPolicy | None:
    """Return the first policy matching the case, as in a routing table."""
    for policy in policies:
        if policy.matches(priority=priority, touchpoint=touchpoint):
            return policy
    return None


def add_business_time(
    start: datetime, duration: timedelta, hours: BusinessHours | None
) -> datetime:
    """Return when `duration` of working time after `start` has passed (wall clock if no hours)."""
    if hours is None:
        return start + duration
    zone = hours.timezone
    cursor = start.astimezone(zone)
    day = cursor.date()
    remaining = duration
    for _ in range(3700):  # ten years of days: ample for any SLA, and never an endless loop
        if day.weekday() in hours.days:
            opens = datetime.combine(day, hours.start, zone)
            closes = datetime.combine(day, hours.end, zone)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return (begin + remaining).astimezone(UTC)
                remaining -= closes - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, zone)
    raise ValueError("business hours leave no working time to count")


def deadlines(created_at: datetime, policy: SlaPolicy) -> Deadlines:
    """Compute a case's deadlines from its creation time and policy."""
    return Deadlines(
        acknowledge=add_business_time(created_at, policy.acknowledge, policy.business_hours),
        resolve=add_business_time(created_at, policy.resolve, policy.business_hours),
    )


def deadlines_for(
    policies: tuple[SlaPolicy, ...], *, priority: str, touchpoint: str, created_at: datetime
) -> Deadlines | None:
    """Return the deadlines the policies give a case, or None when none applies."""
    policy = first_policy(policies, priority=priority, touchpoint=touchpoint)
    return deadlines(created_at, policy) if policy is not None else None


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
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DeskConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _clock(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise DeskConfigError(f"{where}: {value!r} is not a time like '09:00'") from None


def parse_business_hours(data: Any, where: str) -> BusinessHours:
    """Validate a business_hours mapping."""
    data = mapping(data, where)
    known(data, {"timezone", "days", "start", "end"}, where)
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
    return BusinessHours(zone, frozenset(DAYS.index(d) for d in days), start, end)


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


def _load_policies(path: Path) -> tuple[SlaPolicy, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return parse_sla_policies(mapping(data, "desk"))
    except (OSError, yaml.YAMLError, DeskConfigError) as exc:
        raise DeskConfigError(f"{path}: {exc}") from exc


_policies = ReloadOnChange(_load_policies)


def sla_policies(path: Path) -> tuple[SlaPolicy, ...]:
    """Return the SLA policies of a desk file, re-read when it changes on disk."""
    try:
        return _policies(path.resolve())
    except OSError as exc:
        raise DeskConfigError(f"{path}: cannot read: {exc.strerror}") from exc
