"""The desk configuration (desk.yml): SLA policies, escalation chain, root causes, team mapping.

Validated on load: a bad file fails at start naming the file, the key and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from shared.enums import Priority

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ESCALATION_TARGETS = ("owner", "team_lead", "champion")
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
class EscalationStep:
    """Who hears about a breach, and how long after it began."""

    to: str
    after: timedelta


@dataclass(frozen=True)
class DeskConfig:
    """Everything the desk reads from its file."""

    policies: tuple[SlaPolicy, ...]
    escalation: tuple[EscalationStep, ...]
    root_causes: dict[str, tuple[str, ...]]
    receiver_teams: dict[str, str] = field(default_factory=dict)
    champion_targets: tuple[tuple[str, str], ...] = ()  # (channel, target) pairs
    due_soon: timedelta = timedelta(hours=1)
    teams: tuple[str, ...] = ()  # every team desk.yml names, with or without receivers

    def policy_for(self, *, priority: str, touchpoint: str) -> SlaPolicy | None:
        """Return the first policy matching the case, as in a routing table."""
        for policy in self.policies:
            if policy.matches(priority=priority, touchpoint=touchpoint):
                return policy
        return None

    def root_causes_for(self, touchpoint: str) -> tuple[str, ...]:
        """Return the root-cause codes allowed when resolving a case of this touchpoint."""
        return self.root_causes.get(touchpoint, self.root_causes.get("default", ()))

    def receivers_of(self, team: str) -> tuple[str, ...]:
        """Return the routing receivers whose cases belong to a team."""
        return tuple(r for r, t in self.receiver_teams.items() if t == team)


def parse_duration(text: Any, where: str) -> timedelta:
    """Parse '90m', '4h', '2d', '1d 4h'; a bare number means minutes."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return timedelta(minutes=text)
    match = _DURATION.fullmatch(str(text).strip()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise DeskConfigError(f"{where}: {text!r} is not a duration like '30m', '4h' or '2d'")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeskConfigError(f"{where}: must be a mapping")
    return value


def _known(data: dict[str, Any], allowed: set[str], where: str) -> None:
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
    data = _mapping(data, where)
    _known(data, {"timezone", "days", "start", "end"}, where)
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
    data = _mapping(data, where)
    _known(data, {"priority", "touchpoint", "acknowledge", "resolve", "business_hours"}, where)
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


def _escalation(data: Any) -> tuple[EscalationStep, ...]:
    if not isinstance(data, list) or not data:
        raise DeskConfigError("escalation: must be a non-empty list of steps")
    steps: list[EscalationStep] = []
    for index, item in enumerate(data):
        where = f"escalation[{index}]"
        item = _mapping(item, where)
        _known(item, {"to", "after"}, where)
        if item.get("to") not in ESCALATION_TARGETS:
            raise DeskConfigError(f"{where}.to: must be one of {', '.join(ESCALATION_TARGETS)}")
        after = parse_duration(item.get("after", 0), f"{where}.after")
        if steps and after < steps[-1].after:
            raise DeskConfigError(f"{where}.after: steps must be in increasing order of time")
        steps.append(EscalationStep(item["to"], after))
    return tuple(steps)


def _root_causes(data: Any) -> dict[str, tuple[str, ...]]:
    data = _mapping(data, "root_causes")
    if "default" not in data:
        raise DeskConfigError("root_causes.default: required (codes for touchpoints not listed)")
    out = {}
    for touchpoint, codes in data.items():
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise DeskConfigError(f"root_causes.{touchpoint}: must be a non-empty list of codes")
        out[str(touchpoint)] = tuple(codes)
    return out


def _champion_targets(data: Any) -> tuple[tuple[str, str], ...]:
    data = _mapping(data, "champions")
    _known(data, {"email", "slack"}, "champions")
    targets = [("email", str(address)) for address in data.get("email") or []]
    for index, item in enumerate(data.get("slack") or []):
        item = _mapping(item, f"champions.slack[{index}]")
        if "webhook_url_env" in item:
            targets.append(("slack", f"webhook:{item['webhook_url_env']}"))
        elif "channel" in item:
            targets.append(("slack", f"channel:{item['channel']}"))
        else:
            raise DeskConfigError(f"champions.slack[{index}]: needs webhook_url_env or channel")
    return tuple(targets)


def parse_desk_config(data: Any) -> DeskConfig:
    """Validate a parsed desk document and build the config."""
    data = _mapping(data, "desk")
    allowed = {"business_hours", "sla", "escalation", "root_causes", "teams", "champions"}
    _known(data, allowed | {"due_soon"}, "desk")
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
    teams = _mapping(data.get("teams"), "teams")
    receiver_teams: dict[str, str] = {}
    for team, spec in teams.items():
        spec = _mapping(spec, f"teams.{team}")
        _known(spec, {"receivers"}, f"teams.{team}")
        for receiver in spec.get("receivers") or []:
            if receiver in receiver_teams:
                raise DeskConfigError(f"teams.{team}.receivers: {receiver!r} is in two teams")
            receiver_teams[str(receiver)] = str(team)
    return DeskConfig(
        policies=policies,
        escalation=_escalation(data.get("escalation")),
        root_causes=_root_causes(data.get("root_causes")),
        receiver_teams=receiver_teams,
        champion_targets=_champion_targets(data.get("champions")),
        due_soon=parse_duration(data.get("due_soon", "1h"), "due_soon"),
        teams=tuple(str(team) for team in teams),
    )


def load_desk_config(path: Path) -> DeskConfig:
    """Read and validate a desk file; errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeskConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DeskConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_desk_config(data)
    except DeskConfigError as exc:
        raise DeskConfigError(f"{path}: {exc}") from exc


@cache
def _cached(path: Path, mtime_ns: int) -> DeskConfig:
    return load_desk_config(path)


def desk_config(path: Path) -> DeskConfig:
    """Return the validated desk file, re-read when it changes on disk."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise DeskConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    return _cached(path.resolve(), mtime)
