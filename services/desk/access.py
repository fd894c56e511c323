"""Who may see and change which case: the role rules in one place, for Python and for SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from services.desk.config import DeskConfig
from services.desk.enums import Role
from services.desk.models import User
from shared.models import Case

READ_ALL = (Role.ADMIN, Role.CHAMPION, Role.VIEWER)
WRITERS = (Role.ADMIN, Role.CHAMPION, Role.OWNER)


def case_team(case: Case, config: DeskConfig) -> str | None:
    """Return the team a case belongs to: set on the case, else mapped from its routing owner."""
    return case.team or config.receiver_teams.get(case.owner)


def _owns(user: User, case: Case, config: DeskConfig) -> bool:
    if case.assignee_id is not None and case.assignee_id == user.id:
        return True
    return user.team is not None and case_team(case, config) == user.team.name


def can_see(user: User, case: Case, config: DeskConfig) -> bool:
    """Return whether the user may read the case."""
    if not user.active:
        return False
    return user.role in READ_ALL or (user.role == Role.OWNER and _owns(user, case, config))


def can_change(user: User, case: Case, config: DeskConfig) -> bool:
    """Return whether the user may act on the case (viewers never may)."""
    if not user.active or user.role not in WRITERS:
        return False
    return user.role != Role.OWNER or _owns(user, case, config)


def visible_cases(user: User, config: DeskConfig) -> ColumnElement[Any]:
    """Return a SQL condition selecting the cases the user may read."""
    if user.role in READ_ALL:
        return true()
    if user.role != Role.OWNER:
        return false()
    mine: list[ColumnElement[Any]] = [Case.assignee_id == user.id]
    if user.team is not None:
        mine.append(Case.team == user.team.name)
        receivers = config.receivers_of(user.team.name)
        if receivers:
            mine.append(and_(Case.team.is_(None), Case.owner.in_(receivers)))
    return or_(*mine)


def kpi_scope(user: User, config: DeskConfig) -> ColumnElement[Any] | None:
    """Return the cases an owner's KPIs cover (their own); None for roles that see every case."""
    return None if user.role in READ_ALL else visible_cases(user, config)
