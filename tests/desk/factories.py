"""Model factories for desk tests: responses, cases and users with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from services.desk.models import User
from services.desk.users import ensure_team, hash_password
from shared.models import Case, Delivery, Response

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
PASSWORD = "correct horse battery"
_ids = count(1)


def make_case(session: Session, *, comment: str = "parcel arrived broken", **fields: Any) -> Case:
    """Store a response and its case; keyword arguments override case fields."""
    created = fields.pop("created_at", T0)
    response_fields = {
        k: fields.pop(k) for k in ("nps", "csat", "ces", "attributes") if k in fields
    }
    response = Response(
        source="test",
        external_id=f"r{next(_ids)}",
        submitted_at=created,
        received_at=created,
        comment=comment,
        respondent_email="ann@example.com",
        respondent_name="Ann",
        **{"nps": 2, **response_fields},
    )
    session.add(response)
    session.flush()
    case = Case(
        response_id=response.id,
        priority=fields.pop("priority", "p2"),
        touchpoint=fields.pop("touchpoint", "delivery"),
        owner=fields.pop("owner", "delivery-team"),
        reasons={"reasons": ["NPS 2 is a detractor"]},
        created_at=created,
        updated_at=created,
        **fields,
    )
    session.add(case)
    session.flush()
    return case


def add_assignment(session: Session, case: Case, target: str = "delivery-lead@example.com") -> None:
    """Record the routing's assignment delivery, as the router would."""
    session.add(
        Delivery(
            case_id=case.id, kind="assignment", step=0, receiver=case.owner, channel="email",
            target=target, status="sent",
        )
    )  # fmt: skip
    session.flush()


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def make_user(
    session: Session, email: str, role: str, team: str | None = None, *, lead: bool = False
) -> User:
    """Create a user with the shared test password (hashed once: scrypt is slow on purpose)."""
    user = User(email=email, role=role, name=email.split("@")[0].title(),
                password_hash=_password_hash())  # fmt: skip
    if team:
        user.team = ensure_team(session, name=team)
    session.add(user)
    session.flush()
    if lead and user.team is not None:
        user.team.lead = user
    return user


def make_response(session: Session, *, submitted_at: datetime, **answers: Any) -> Response:
    """Store a response that did not become a case (a satisfied customer, say)."""
    response = Response(
        source="test",
        external_id=f"r{next(_ids)}",
        submitted_at=submitted_at,
        received_at=submitted_at,
        comment="",
        **answers,
    )
    session.add(response)
    session.flush()
    return response
