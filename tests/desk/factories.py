"""Model factories for desk tests: responses, cases and users with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from services.desk.enums import ContactOutcome
from services.desk.models import Contact, User
from services.desk.users import ensure_team, hash_password
from shared.followups import service as followups
from shared.followups.config import FollowUpConfig
from shared.followups.models import FollowUp
from shared.models import Case, Delivery, Response
from shared.settings.files import EXAMPLE_DESK

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
PASSWORD = "correct horse battery"
_ids = count(1)


def make_case(session: Session, *, comment: str = "parcel arrived broken", **fields: Any) -> Case:
    """Store a response and its case; keyword arguments override case fields."""
    created = fields.pop("created_at", T0)
    answers = ("nps", "csat", "ces", "attributes", "respondent_email", "respondent_name",
               "respondent_id")  # fmt: skip
    response_fields = {k: fields.pop(k) for k in answers if k in fields}
    response = Response(
        source="test",
        external_id=f"r{next(_ids)}",
        submitted_at=created,
        received_at=created,
        comment=comment,
        **{"nps": 2, "respondent_email": "ann@example.com", "respondent_name": "Ann",
           **response_fields},
    )  # fmt: skip
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


def resolved_case(
    session: Session,
    config: FollowUpConfig,
    *,
    resolved_at: datetime = T0 + timedelta(days=1),
    reached: bool = True,
    **fields: Any,
) -> tuple[Case, FollowUp]:
    """A case resolved after someone reached the customer, and its scheduled follow-up."""
    case = make_case(
        session, status="resolved", resolved_at=resolved_at, root_cause="carrier_delay",
        resolution_note="re-sent the parcel", **fields,
    )  # fmt: skip
    outcome = ContactOutcome.REACHED if reached else ContactOutcome.NO_ANSWER
    session.add(Contact(case_id=case.id, channel="phone", outcome=outcome, at=resolved_at))
    follow_up = followups.schedule(session, case=case, config=config, now=resolved_at)
    assert follow_up is not None, "follow-ups are off in this config"
    return case, follow_up


def desk_file_with(directory: Path, **follow_up: Any) -> Path:
    """Write the example desk file with its `follow_up` section changed; return its path."""
    desk = yaml.safe_load(EXAMPLE_DESK.read_text(encoding="utf-8"))
    desk["follow_up"] = {**desk["follow_up"], **follow_up}
    path = directory / "desk.yml"
    path.write_text(yaml.safe_dump(desk), encoding="utf-8")
    return path
