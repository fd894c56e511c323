"""Build the rows a delivery needs (response, case, delivery) directly through the models."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared.enums import DeliveryStatus
from shared.models import Case, Delivery, Response

_numbers = itertools.count(1)
HOSTILE_COMMENT = "<script>alert(1)</script> @channel <!here> <@U123> <http://evil.example|click>"


def make_response(session: Session, **fields: Any) -> Response:
    """Add a detractor's response with a comment."""
    values: dict[str, Any] = {
        "source": "test",
        "external_id": f"r-{next(_numbers)}",
        "submitted_at": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        "respondent_name": "Ada Customer",
        "respondent_email": "ada@example.com",
        "nps": 2,
        "csat": 1,
        "comment": "The parcel arrived late and damaged.",
    }
    response = Response(**(values | fields))
    session.add(response)
    session.flush()
    return response


def make_case(session: Session, **fields: Any) -> Case:
    """Add a case for a fresh response."""
    response = fields.pop("response", None) or make_response(
        session, **fields.pop("response_fields", {})
    )
    values: dict[str, Any] = {
        "response_id": response.id,
        "priority": "p1",
        "touchpoint": "delivery",
        "owner": "delivery-team",
        "reasons": {"reasons": ["NPS 2 is a detractor score", "negative comment"]},
        "polarity": -0.6,
    }
    case = Case(**(values | fields))
    session.add(case)
    session.flush()
    return case


def make_delivery(session: Session, **fields: Any) -> Delivery:
    """Add a pending delivery (email to the delivery lead unless told otherwise)."""
    case = fields.pop("case", None) or make_case(session, **fields.pop("case_fields", {}))
    values: dict[str, Any] = {
        "case_id": case.id,
        "receiver": "delivery-team",
        "channel": "email",
        "target": "delivery-lead@example.com",
        "status": DeliveryStatus.PENDING,
    }
    delivery = Delivery(**(values | fields))
    session.add(delivery)
    session.flush()
    return delivery


def create_delivery(sessions: sessionmaker[Session], **fields: Any) -> int:
    """Commit a new pending delivery with its case and response; return its id."""
    with sessions() as session, session.begin():
        return make_delivery(session, **fields).id
