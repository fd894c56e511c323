"""Act on a case: access check, lock, lifecycle rule, write, audit; one path for API and pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden, NotFound

from services.desk import lifecycle, service
from services.desk.access import can_change, can_see, case_team
from services.desk.config import DeskConfig
from services.desk.models import User
from shared.followups import service as followups
from shared.inputs import UNSTORABLE, unstorable_paths
from shared.models import Case

ACTIONS = (
    "acknowledge", "start", "resolve", "close", "reopen", "assign", "notes", "contacts",
    "touchpoint", "take", "snooze", "wait", "resume",
)  # fmt: skip
SNOOZE_FOR = {"1h": timedelta(hours=1)}  # and "tomorrow": 09:00 the next day, the team's time
WAKE_AT = time(9)


@dataclass
class Outcome:
    """The case after an action, and what to send after commit: deliveries, corrections."""

    case: Case
    deliveries: list[int] = field(default_factory=list)
    corrections: list[int] = field(default_factory=list)  # for the router to re-route
    refresh: bool = False  # the case's posted Slack alerts must be updated in place


def visible_case(session: Session, *, user: User, case_id: int, config: DeskConfig) -> Case:
    """Return the case if the user may see it; 404 otherwise (existence is not revealed)."""
    case = service.get_case(session, case_id=case_id)
    if case is None or not can_see(user, case, config):
        raise NotFound(f"case {case_id} not found")
    return case


def perform(
    session: Session,
    *,
    user: User,
    case_id: int,
    action: str,
    data: dict[str, Any],
    config: DeskConfig,
    now: datetime,
    touchpoints: Callable[[], Sequence[str]] = tuple,
) -> Outcome:
    """Apply one action to a case in the session's transaction (the caller commits).

    `touchpoints` returns the routing file's touchpoint names; only a correction reads it.
    """
    case = service.get_case(session, case_id=case_id, lock=True)
    if case is None or not can_see(user, case, config):
        raise NotFound(f"case {case_id} not found")
    if not can_change(user, case, config):
        raise Forbidden("your role may not change this case")
    if bad := {path: [UNSTORABLE] for path in unstorable_paths(data)}:
        raise lifecycle.InvalidCommand(bad)  # the database would refuse it with a 500
    service.stamp_deadlines(case, config)
    snap = service.snapshot(case)
    outcome = Outcome(case)
    if action in ("notes", "contacts"):
        lifecycle.check(action, snap)
    if action == "notes":
        service.add_note(session, case=case, author=user, body=data["body"], now=now)
        return outcome
    if action == "contacts":
        service.add_contact(
            session, case=case, user=user, channel=data["channel"], outcome=data["outcome"],
            note=data.get("note", ""), now=now,
        )  # fmt: skip
        return outcome
    if action == "touchpoint":
        change = lifecycle.correct_touchpoint(
            snap, to=data["touchpoint"], known=touchpoints(), note=data.get("note", ""),
            pending=service.pending_correction(session, case_id=case.id) is not None,
        )  # fmt: skip
        correction = service.add_correction(session, case=case, change=change, actor=user.email,
                                            now=now)  # fmt: skip
        outcome.corrections.append(correction.id)
        outcome.refresh = service.has_editable_alerts(session, case_id=case.id)
        return outcome
    if action == "assign":
        change, assignee = _assign(session, snap, data, config)
        change.detail["by"] = user.name or user.email
    elif action == "take":
        change, assignee = lifecycle.take(snap, user_id=user.id, now=now), None
    elif action == "snooze":
        zone = config.timezone_of(case_team(case, config))
        until = snooze_until(data["until"], now=now, zone=zone)
        change, assignee = lifecycle.snooze(snap, until=until, now=now), None
    elif action == "resume":
        hours = config.hours_for(
            priority=case.priority, touchpoint=case.touchpoint, team=case_team(case, config)
        )
        change, assignee = lifecycle.resume(snap, now=now, hours=hours), None
    else:
        change, assignee = _transition(snap, action, data, config, now), None
    event = service.record(session, case=case, change=change, actor=user.email, now=now)
    if action == "resolve":
        followups.schedule(session, case=case, config=config.follow_up, now=now)
    outcome.refresh = service.has_editable_alerts(session, case_id=case.id)
    if action == "assign":
        # The person assigned hears of it; a case given to a team alone goes to its lead.
        told = assignee or service.team_lead(session, name=str(change.updates.get("team", "")))
        if told is not None and told.id != user.id:
            sent = service.tell_assignee(session, case=case, event=event, user=told, now=now)
            outcome.deliveries.extend([sent] if sent is not None else [])
    return outcome


def snooze_until(preset: str, *, now: datetime, zone: tzinfo) -> datetime:
    """When a snooze ends: an hour from now, or 09:00 tomorrow in the team's time zone."""
    if preset in SNOOZE_FOR:
        return now + SNOOZE_FOR[preset]
    if preset != "tomorrow":
        raise lifecycle.InvalidCommand({"until": ["must be one of: 1h, tomorrow"]})
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, WAKE_AT, zone).astimezone(UTC)


def _transition(
    snap: lifecycle.CaseSnapshot,
    action: str,
    data: dict[str, Any],
    config: DeskConfig,
    now: datetime,
) -> lifecycle.Change:
    if action == "acknowledge":
        return lifecycle.acknowledge(snap, now=now)
    if action == "start":
        return lifecycle.start(snap, now=now)
    if action == "resolve":
        return lifecycle.resolve(
            snap, now=now, root_cause=data.get("root_cause", ""),
            note=data.get("resolution_note", ""), allowed=config.root_causes_for(snap.touchpoint),
        )  # fmt: skip
    if action == "close":
        return lifecycle.close(snap, now=now)
    if action == "wait":
        return lifecycle.wait(snap, now=now, note=data.get("note", ""))
    if action == "reopen":
        return lifecycle.reopen(
            snap, to=data.get("to", "acknowledged"), reason=data.get("reason", "")
        )
    raise NotFound(f"no action {action!r}")


def _assign(
    session: Session, snap: lifecycle.CaseSnapshot, data: dict[str, Any], config: DeskConfig
) -> tuple[lifecycle.Change, User | None]:
    assignee = None
    if data.get("assignee"):
        assignee = service.find_assignee(session, email=data["assignee"])
        if assignee is None:
            raise lifecycle.InvalidCommand({"assignee": ["no active user with this email"]})
    team = data.get("team") or None
    if team is not None:
        _check_team(session, team, config)
    change = lifecycle.assign(snap, assignee_id=assignee.id if assignee else None, team=team)
    if assignee is not None:
        change.detail["assignee"] = assignee.email
    return change, assignee


def _check_team(session: Session, team: str, config: DeskConfig) -> None:
    """A team is one of desk.yml's or one people belong to, and someone active must be in it."""
    if team not in config.teams and not service.team_exists(session, name=team):
        known = sorted({*config.teams, *service.team_names(session)})
        raise lifecycle.InvalidCommand(
            {"team": [f"no team {team!r}; teams are: {', '.join(known) or 'none configured'}"]}
        )
    if not service.team_has_active_user(session, name=team):
        raise lifecycle.InvalidCommand(
            {"team": [f"team {team!r} has no active user, so nobody would see the case; "
                      "add someone to the team first or assign a person"]}
        )  # fmt: skip


def still_visible(session: Session, *, user: User, case_id: int, config: DeskConfig) -> bool:
    """Return whether the user may still see the case (after reassigning it, maybe not)."""
    case = service.get_case(session, case_id=case_id)
    return case is not None and can_see(user, case, config)
