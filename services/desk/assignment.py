"""Fair assignment within a team: round-robin among who is in and under their cap, else a backup.

The choice is pure (members in, one member and the reasons out) so that it can be tested
without a database; `assign_waiting` wraps it for new cases of teams that ask for it in desk.yml.
Round-robin is "least recently auto-assigned first": it needs no counter, survives restarts and a
member coming back from leave, and takes turns in a fixed order (by id) among new members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk import lifecycle, service
from services.desk.config import AssignmentPolicy, DeskConfig
from services.desk.models import Team, User
from shared.db import transaction
from shared.enums import UNRESOLVED_CASE_STATUSES, CaseStatus
from shared.models import Case, CaseEvent


@dataclass(frozen=True)
class Member:
    """What the choice needs to know of one person."""

    id: int
    email: str
    active: bool
    away_from: date | None
    away_until: date | None
    open_cases: int
    last_assigned_at: datetime | None

    def away_on(self, day: date) -> bool:
        """Whether the person is out of office on this day (both ends included)."""
        if self.away_from is None and self.away_until is None:
            return False
        start = self.away_from or date.min
        end = self.away_until or date.max
        return start <= day <= end


@dataclass(frozen=True)
class Choice:
    """Who gets the case (None: nobody could) and why, in words for the case timeline."""

    email: str | None
    reason: str


def _skipped(member: Member, policy: AssignmentPolicy, today: date) -> str | None:
    if not member.active:
        return "disabled"
    if member.away_on(today):
        until = member.away_until.isoformat() if member.away_until else "further notice"
        return f"out of office until {until}"
    if policy.max_open is not None and member.open_cases >= policy.max_open:
        return f"at the cap ({member.open_cases}/{policy.max_open} open)"
    return None


def choose(
    team: str, members: list[Member], policy: AssignmentPolicy, *, today: date,
    backup: Member | None = None,
) -> Choice:  # fmt: skip
    """Pick the available member assigned least recently; else the backup; else nobody."""
    skipped = {m.email: why for m in members if (why := _skipped(m, policy, today))}
    available = [m for m in members if m.email not in skipped]
    notes = "; ".join(f"{email} {why}" for email, why in sorted(skipped.items()))
    tail = f" (skipped: {notes})" if notes else ""
    if available:
        never = datetime.min.replace(tzinfo=None)
        chosen = min(
            available,
            key=lambda m: (m.last_assigned_at.replace(tzinfo=None) if m.last_assigned_at
                           else never, m.id),
        )  # fmt: skip
        turn = "first turn" if chosen.last_assigned_at is None else "longest since a case"
        return Choice(
            chosen.email,
            f"round robin in team {team}: {chosen.email}, {turn}, {chosen.open_cases} open{tail}",
        )
    if backup is not None and _skipped(backup, AssignmentPolicy(), today) is None:
        return Choice(backup.email, f"nobody in team {team} is available{tail}: backup owner "
                                    f"{backup.email}")  # fmt: skip
    why = f"nobody in team {team} is available{tail}"
    if policy.backup:
        why += f", and the backup owner {policy.backup} is not either"
    return Choice(None, why + "; the case stays with the team")


def assign_waiting(
    sessions: sessionmaker[Session], *, config: DeskConfig, now: datetime, limit: int = 200
) -> list[int]:
    """Give each new, unassigned case of a round-robin team to a member; return deliveries.

    Each case is assigned in its own transaction under its row lock, so a sweep that runs twice
    (at-least-once delivery) or beside a person assigning by hand assigns it once.
    """
    if not config.assignment:
        return []
    with transaction(sessions) as session:
        waiting = waiting_cases(session, config=config, limit=limit)
    created: list[int] = []
    for case_id in waiting:
        with transaction(sessions) as session:
            created.extend(assign_case(session, case_id=case_id, config=config, now=now))
    return created


def waiting_cases(session: Session, *, config: DeskConfig, limit: int) -> list[int]:
    """New cases with nobody assigned whose team takes round robin, oldest first."""
    teams = sorted(config.assignment)
    receivers = [r for team in teams for r in config.receivers_of(team)]
    query = (
        select(Case.id)
        .where(Case.status == CaseStatus.NEW, Case.assignee_id.is_(None))
        .where(or_(Case.team.in_(teams), and_(Case.team.is_(None), Case.owner.in_(receivers))))
        .order_by(Case.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def assign_case(session: Session, *, case_id: int, config: DeskConfig, now: datetime) -> list[int]:
    """Assign one waiting case by its team's rule; explain the choice in its timeline."""
    case = service.get_case(session, case_id=case_id, lock=True)
    if case is None or case.assignee_id is not None or case.status != CaseStatus.NEW:
        return []
    team = case.team or config.receiver_teams.get(case.owner)
    policy = config.assignment.get(team or "")
    if team is None or policy is None:
        return []
    people = list(
        session.scalars(select(User).join(Team, User.team_id == Team.id).where(Team.name == team))
    )
    backup = service.find_assignee(session, email=policy.backup) if policy.backup else None
    counts = _open_counts(session, [p.id for p in people] + ([backup.id] if backup else []))
    choice = choose(
        team, [_member(p, counts) for p in people], policy, today=now.date(),
        backup=_member(backup, counts) if backup else None,
    )  # fmt: skip
    if choice.email is None:
        if not _told_nobody(session, case.id, choice.reason):
            detail = {"reason": choice.reason}
            session.add(
                CaseEvent(case_id=case.id, at=now, actor="assignment", action="not_assigned",
                          detail=detail)
            )  # fmt: skip
        return []
    chosen = next(p for p in [*people, *([backup] if backup else [])] if p.email == choice.email)
    change = lifecycle.assign(service.snapshot(case), assignee_id=chosen.id, team=None)
    change.detail.update(assignee=chosen.email, by="round robin", reason=choice.reason)
    event = service.record(session, case=case, change=change, actor="assignment", now=now)
    chosen.last_assigned_at = now
    told = service.tell_assignee(session, case=case, event=event, user=chosen, now=now)
    return [told] if told is not None else []


def _member(user: User, counts: dict[int, int]) -> Member:
    return Member(
        id=user.id, email=user.email, active=user.active, away_from=user.away_from,
        away_until=user.away_until, open_cases=counts.get(user.id, 0),
        last_assigned_at=user.last_assigned_at,
    )  # fmt: skip


def _open_counts(session: Session, user_ids: list[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = session.execute(
        select(Case.assignee_id, func.count())
        .where(Case.assignee_id.in_(user_ids), Case.status.in_(UNRESOLVED_CASE_STATUSES))
        .group_by(Case.assignee_id)
    )
    return {int(user_id or 0): int(n) for user_id, n in rows}


def _told_nobody(session: Session, case_id: int, reason: str) -> bool:
    """Whether this very reason is already in the timeline (a sweep repeats every minute)."""
    last = session.scalar(
        select(CaseEvent.detail)
        .where(CaseEvent.case_id == case_id, CaseEvent.action == "not_assigned")
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    return last is not None and last.get("reason") == reason
