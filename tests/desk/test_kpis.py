"""KPIs against a hand calculation on a small seeded dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.desk import kpis
from shared.db import transaction
from tests.desk.factories import make_case, make_response

H = timedelta(hours=1)
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
PERIOD = kpis.Period(date(2026, 3, 2), date(2026, 3, 3))


def at(day: int, hour: int) -> datetime:
    return (
        datetime(2026, 3, day, hour, tzinfo=UTC)
        if day > 0
        else datetime(2026, 2, 20, hour, tzinfo=UTC)
    )


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Cases A-D in the period, E-G outside it, plus two responses that are not cases."""
    with transaction(sessions) as s:
        a0, b0, c0, d0 = at(2, 10), at(2, 12), at(3, 9), at(3, 18)
        sla = {"ack": 2 * H, "res": 24 * H}

        def due(t: datetime) -> dict[str, datetime]:
            return {"ack_due_at": t + sla["ack"], "resolve_due_at": t + sla["res"]}

        make_case(
            s,
            created_at=a0,
            status="resolved",
            acknowledged_at=a0 + H,
            resolved_at=a0 + 10 * H,
            nps=2,
            csat=1,
            **due(a0),
        )
        make_case(
            s,
            created_at=b0,
            status="resolved",
            acknowledged_at=b0 + 3 * H,
            resolved_at=b0 + 30 * H,
            escalation_step=2,
            nps=5,
            csat=2,
            ces=6,
            **due(b0),
        )
        make_case(
            s,
            created_at=c0,
            status="in_progress",
            acknowledged_at=c0 + 2 * H,
            escalation_step=1,
            touchpoint="store",
            owner="stores-team",
            nps=None,
            csat=1,
            **due(c0),
        )
        make_case(
            s,
            created_at=d0,
            touchpoint="store",
            owner="stores-team",
            nps=6,
            ces=7,
            ack_due_at=at(5, 18),
            resolve_due_at=at(6, 18),
        )
        make_case(s, created_at=at(1, 8))
        make_case(s, created_at=at(5, 6), touchpoint="website", owner="web-team")
        make_case(s, created_at=at(0, 9), status="acknowledged", acknowledged_at=at(0, 10))
        make_response(s, submitted_at=at(2, 15), nps=10, csat=5)
        make_response(s, submitted_at=at(3, 11), nps=8, ces=2)
    return sessions  # fmt: skip


def table(sessions: sessionmaker[Session], name: str, by: str = "all") -> list[tuple[object, ...]]:
    with sessions() as session:
        return kpis.TABLES[name](session, PERIOD, by, NOW).rows


def test_complaints_per_day(seeded: sessionmaker[Session]) -> None:
    assert table(seeded, "complaints_per_day") == [
        ("2026-03-02", "all", 2),
        ("2026-03-03", "all", 2),
    ]
    assert table(seeded, "complaints_per_day", "touchpoint") == [
        ("2026-03-02", "delivery", 2),
        ("2026-03-03", "store", 2),
    ]


def test_average_and_p90_times(seeded: sessionmaker[Session]) -> None:
    # acknowledged after 1h, 3h, 2h: average 2h, p90 (nearest rank 3 of 3) 3h;
    # resolved after 10h and 30h: average 20h, p90 (rank 2 of 2) 30h.
    assert table(seeded, "response_times") == [("all", 4, 3, 2.0, 3.0, 2, 20.0, 30.0)]
    assert table(seeded, "response_times", "touchpoint") == [
        ("delivery", 2, 2, 2.0, 3.0, 2, 20.0, 30.0),
        ("store", 2, 1, 2.0, 2.0, 0, None, None),
    ]


def test_escalation_rate(seeded: sessionmaker[Session]) -> None:
    assert table(seeded, "escalations") == [("all", 4, 2, 50.0)]
    assert table(seeded, "escalations", "owner") == [
        ("delivery-team", 2, 1, 50.0),
        ("stores-team", 2, 1, 50.0),
    ]


def test_sla_compliance_counts_only_decided_deadlines(seeded: sessionmaker[Session]) -> None:
    # ack: A met, B late, C met exactly on time, D not yet due; resolve: A met, B late,
    # C overdue and unresolved, D not yet due.
    assert table(seeded, "sla_compliance") == [("all", 3, 2, 66.7, 3, 1, 33.3)]


def test_backlog_by_age_is_about_now(seeded: sessionmaker[Session]) -> None:
    # open now: F 6h, C 2d3h, D 1d18h, E 4d4h, G 13d.
    assert table(seeded, "backlog_by_age") == [("all", 1, 2, 1, 1, 5)]


def test_score_trends(seeded: sessionmaker[Session]) -> None:
    # 03-02: NPS 2, 5, 10 -> (1 - 2) / 3 = -33.3; CSAT 1, 2, 5; CES 6.
    # 03-03: NPS 6, 8 (C has none) -> (0 - 1) / 2 = -50; CSAT 1; CES 7, 2.
    assert table(seeded, "score_trends") == [
        ("2026-03-02", "all", 3, -33.3, 2.67, 6.0),
        ("2026-03-03", "all", 3, -50.0, 1.0, 4.5),
    ]
    by_touchpoint = table(seeded, "score_trends", "touchpoint")
    assert ("2026-03-02", "unknown", 1, 100.0, 5.0, None) in by_touchpoint
