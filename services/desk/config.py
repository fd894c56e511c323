"""The desk configuration (desk.yml): SLA policies, escalation chain, root causes, team mapping.

Validated on load: a bad file fails at start naming the file, the key and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from services.desk.digest_config import DigestConfig, parse_digests
from shared.followups.config import FollowUpConfig, parse_follow_up
from shared.sla import BusinessHours as BusinessHours  # re-exported for the desk's callers
from shared.sla import (
    DeskConfigError,
    SlaPolicy,
    SlaRules,
    first_policy,
    load_yaml,
    parse_duration,
    parse_sla_policies,
    parse_team_calendars,
)
from shared.sla import known as _known
from shared.sla import mapping as _mapping
from shared.sla import parse_business_hours as parse_business_hours

ESCALATION_TARGETS = ("owner", "team_lead", "champion")


@dataclass(frozen=True)
class EscalationStep:
    """Who hears about a breach, and how long after it began."""

    to: str
    after: timedelta


@dataclass(frozen=True)
class AssignmentPolicy:
    """A team's rule, from desk.yml `teams.<name>.assignment`."""

    max_open: int | None = None  # open cases a person may hold before being skipped
    backup: str | None = None  # an email, taken when nobody in the team is available


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
    assignment: dict[str, AssignmentPolicy] = field(default_factory=dict)  # round-robin teams
    timezone: tzinfo = UTC  # business_hours.timezone: the desk's clock for "tomorrow 09:00"
    team_timezones: dict[str, tzinfo] = field(default_factory=dict)  # teams.<name>.timezone
    digests: DigestConfig = field(default_factory=DigestConfig)  # none unless configured
    team_holidays: dict[str, frozenset[date]] = field(default_factory=dict)  # teams.<n>.holidays
    # "did we fix it?" questions (off by default)
    follow_up: FollowUpConfig = field(default_factory=FollowUpConfig)

    @property
    def sla_rules(self) -> SlaRules:
        """The SLA part of the file, as the router reads it: policies and teams' holidays."""
        return SlaRules(self.policies, self.team_holidays, self.receiver_teams)

    def hours_for(
        self, *, priority: str, touchpoint: str, team: str | None
    ) -> BusinessHours | None:
        """Return the business hours a case's clock counts in (None: the wall clock)."""
        policy = self.policy_for(priority=priority, touchpoint=touchpoint)
        return None if policy is None else self.sla_rules.hours_of(policy, team)

    def policy_for(self, *, priority: str, touchpoint: str) -> SlaPolicy | None:
        """Return the first policy matching the case, as in a routing table."""
        return first_policy(self.policies, priority=priority, touchpoint=touchpoint)

    def root_causes_for(self, touchpoint: str) -> tuple[str, ...]:
        """Return the root-cause codes allowed when resolving a case of this touchpoint."""
        return self.root_causes.get(touchpoint, self.root_causes.get("default", ()))

    def timezone_of(self, team: str | None) -> tzinfo:
        """Return the team's time zone: its own, else the business hours', else UTC."""
        return self.team_timezones.get(team or "", self.timezone)

    def receivers_of(self, team: str) -> tuple[str, ...]:
        """Return the routing receivers whose cases belong to a team."""
        return tuple(r for r, t in self.receiver_teams.items() if t == team)


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


ASSIGNMENT_MODES = ("round_robin",)


def _assignment(data: Any, where: str) -> AssignmentPolicy:
    data = _mapping(data, where)
    _known(data, {"mode", "max_open", "backup"}, where)
    if data.get("mode") not in ASSIGNMENT_MODES:
        raise DeskConfigError(f"{where}.mode: must be one of {', '.join(ASSIGNMENT_MODES)}")
    cap = data.get("max_open")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise DeskConfigError(f"{where}.max_open: must be a whole number of at least 1")
    backup = data.get("backup")
    if backup is not None and (not isinstance(backup, str) or "@" not in backup):
        raise DeskConfigError(f"{where}.backup: must be the email of a desk user")
    return AssignmentPolicy(max_open=cap, backup=backup.strip().lower() if backup else None)


def parse_desk_config(data: Any) -> DeskConfig:
    """Validate a parsed desk document and build the config."""
    data = _mapping(data, "desk")
    allowed = {"business_hours", "sla", "escalation", "root_causes", "teams", "champions",
               "digests"}  # fmt: skip
    _known(data, allowed | {"due_soon", "follow_up"}, "desk")
    policies = parse_sla_policies(data)
    teams = _mapping(data.get("teams"), "teams")
    hours = _mapping(data.get("business_hours"), "business_hours")
    assignment: dict[str, AssignmentPolicy] = {}
    zones: dict[str, tzinfo] = {}
    for team, spec in teams.items():
        spec = _mapping(spec, f"teams.{team}")
        _known(spec, {"receivers", "assignment", "timezone", "holidays"}, f"teams.{team}")
        if "assignment" in spec:
            assignment[str(team)] = _assignment(spec["assignment"], f"teams.{team}.assignment")
        if "timezone" in spec:
            zones[str(team)] = _zone(spec["timezone"], f"teams.{team}.timezone")
    holidays, receiver_teams = parse_team_calendars(data)  # as the router reads them
    return DeskConfig(
        policies=policies,
        escalation=_escalation(data.get("escalation")),
        root_causes=_root_causes(data.get("root_causes")),
        receiver_teams=receiver_teams,
        champion_targets=_champion_targets(data.get("champions")),
        due_soon=parse_duration(data.get("due_soon", "1h"), "due_soon"),
        teams=tuple(str(team) for team in teams),
        assignment=assignment,
        timezone=_zone(hours.get("timezone", "UTC"), "business_hours.timezone"),
        team_timezones=zones,
        digests=parse_digests(data.get("digests"), tuple(str(team) for team in teams)),
        team_holidays=holidays,
        follow_up=parse_follow_up(data.get("follow_up")),
    )


def _zone(name: Any, where: str) -> tzinfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise DeskConfigError(f"{where}: unknown timezone {name!r}") from None


def load_desk_config(path: Path) -> DeskConfig:
    """Read and validate a desk file; errors name the file."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
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
