"""Alert values for tests that need no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.notifier.message import Alert, Score

ALERT = Alert(
    delivery_id=7,
    case_id=42,
    kind="assignment",
    step=0,
    receiver="delivery-team",
    channel="email",
    touchpoint="delivery",
    priority="p1",
    scores=(Score("NPS", 2, "/10"), Score("CSAT", 1, "/5")),
    comment="The parcel arrived late and damaged.",
    reasons=("NPS 2 is a detractor score", "negative comment"),
    respondent_name="Ada Customer",
    respondent_email="ada@example.com",
    source="test",
    case_url="https://cx.example.com/cases/42",
    created_at=datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
    polarity=-0.6,
)


HEADLINE = (
    "[P1] New case #42 (delivery): "
    'Detractor (NPS 2/10) who says "The parcel arrived late and damaged"'
)


def alert(**changes: Any) -> Alert:
    """The sample alert with some fields changed."""
    return replace(ALERT, **changes)
