"""The configured values people pick from: touchpoints, teams, receivers and people.

Filters and the assign form offer these as selects, so nobody has to guess a spelling: the
routing file's touchpoints, desk.yml's teams and receivers, and the desk's active users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.desk import context, service
from services.desk.config import DeskConfig


@dataclass(frozen=True)
class Options:
    """Choices for the desk's selects, each a tuple of values (people as value, label)."""

    touchpoints: tuple[str, ...]
    teams: tuple[str, ...]
    receivers: tuple[str, ...]
    people: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, session: Session, config: DeskConfig) -> Options:
        """Read the choices from the routing file, desk.yml and the users table."""
        return cls.build(
            touchpoints=context.touchpoint_choices(),
            config=config,
            db_teams=service.team_names(session),
            people=[(u.email, u.name) for u in service.assignable_users(session)],
        )

    @classmethod
    def build(
        cls,
        *,
        touchpoints: Sequence[str],
        config: DeskConfig,
        db_teams: Sequence[str],
        people: Sequence[tuple[str, str]],
    ) -> Options:
        """Combine the sources: desk.yml's teams first, then teams only people belong to."""
        return cls(
            touchpoints=tuple(touchpoints),
            teams=tuple(dict.fromkeys([*config.teams, *sorted(db_teams)])),
            receivers=tuple(sorted(config.receiver_teams)),
            people=tuple((email, f"{name} <{email}>" if name else email) for email, name in people),
        )
