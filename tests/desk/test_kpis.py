"""KPIs against a hand calculation on a small seeded dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.desk import kpis
from services.desk.models import Contact
from shared.db import transaction
from shared.models import Case
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


@pytest.fixture
def looped(seeded: sessionmaker[Session]) -> sessionmaker[Session]:
    """The seeded cases with root causes on A and B, contacts on A (reached) and C (no answer),
    and cases in the week before the period for the trend."""
    with transaction(seeded) as s:
        a, b, c = (s.scalar(select(Case).where(Case.created_at == t)) for t in
                   (at(2, 10), at(2, 12), at(3, 9)))  # fmt: skip
        assert a is not None and b is not None and c is not None
        a.root_cause, b.root_cause = "carrier_delay", "damaged"
        s.add_all([
            Contact(case_id=a.id, channel="phone", outcome="reached", at=a.created_at + 4 * H),
            Contact(case_id=a.id, channel="email", outcome="reached", at=a.created_at + 9 * H),
            Contact(case_id=c.id, channel="phone", outcome="no_answer", at=c.created_at + 8 * H),
        ])  # fmt: skip
        make_case(s, created_at=at(0, 9) + timedelta(days=8), nps=9, root_cause="damaged")
    return seeded


def test_closed_loop_rate_and_time_to_first_contact(looped: sessionmaker[Session]) -> None:
    # 4 cases; A contacted after 4h (reached), C after 8h (no answer): 50% contacted, 25% reached.
    assert table(looped, "closed_loop") == [("all", 4, 2, 1, 50.0, 25.0, 6.0, 8.0)]
    assert table(looped, "closed_loop", "touchpoint") == [
        ("delivery", 2, 1, 1, 50.0, 50.0, 4.0, 4.0),
        ("store", 2, 1, 0, 50.0, 0.0, 8.0, 8.0),
    ]


def test_a_contact_logged_long_after_the_period_still_counts(
    looped: sessionmaker[Session],
) -> None:
    # Contacts are read from the period's start on, never cut at its end: B is called 20 days on.
    with transaction(looped) as s:
        b = s.scalar(select(Case).where(Case.created_at == at(2, 12)))
        assert b is not None
        s.add(
            Contact(case_id=b.id, channel="phone", outcome="no_answer", at=b.created_at + 480 * H)
        )
    # A after 4h, C after 8h, B after 480h: average 164h, p90 (nearest rank 3 of 3) 480h.
    assert table(looped, "closed_loop") == [("all", 4, 3, 1, 75.0, 25.0, 164.0, 480.0)]
    rows = {metric: rest for metric, *rest in table(looped, "headline")}
    assert rows["closed_loop_pct"] == [75.0, 0.0, 75.0]


def test_root_causes_per_touchpoint(looped: sessionmaker[Session]) -> None:
    # The case of 02-28 (before the period) is not counted; by= does not change the split.
    expected = [("delivery", "carrier_delay", 1, 50.0), ("delivery", "damaged", 1, 50.0)]
    assert table(looped, "root_causes") == expected
    assert table(looped, "root_causes", "owner") == expected


def test_headline_compares_with_the_period_before(looped: sessionmaker[Session]) -> None:
    # Previous period 02-28..03-01: one case on 02-28 (NPS 9, a promoter), one on 03-01 (NPS 2).
    rows = {metric: rest for metric, *rest in table(looped, "headline")}
    assert rows["nps"] == [-40.0, 0.0, -40.0]  # now: NPS 2, 5, 10, 6, 8 -> (1 - 3) / 5
    assert rows["csat_avg"] == [2.25, None, None]
    assert rows["responses"] == [6, 2, 4]
    assert rows["cases"] == [4, 2, 2]
    assert rows["closed_loop_pct"] == [50.0, 0.0, 50.0]
    assert rows["avg_first_contact_h"] == [6.0, None, None]
    assert rows["escalation_pct"] == [50.0, 0.0, 50.0]


def test_an_owner_scope_limits_the_new_tables(looped: sessionmaker[Session]) -> None:
    store = Case.touchpoint == "store"
    with looped() as session:
        assert kpis.closed_loop(session, PERIOD, "all", store).rows == [
            ("all", 2, 1, 0, 50.0, 0.0, 8.0, 8.0)
        ]
        assert kpis.root_causes(session, PERIOD, "all", store).rows == []
        rows = {m: rest for m, *rest in kpis.headline(session, PERIOD, "all", store).rows}
    assert rows["cases"] == [2, 0, 2] and rows["nps"] == [-100.0, None, None]


def test_time_waiting_on_the_customer_is_not_held_against_the_owner(
    seeded: sessionmaker[Session],
) -> None:
    with transaction(seeded) as s:
        b = s.scalars(select(Case).where(Case.created_at == at(2, 12))).one()
        b.paused_seconds = 20 * 3600
        c = s.scalars(select(Case).where(Case.created_at == at(3, 9))).one()
        c.status, c.paused_at = "waiting_on_customer", at(3, 12)
    # B was resolved 30h after it opened, 20h of which it waited on the customer: 10h, as A.
    assert table(seeded, "response_times") == [("all", 4, 3, 2.0, 3.0, 2, 10.0, 10.0)]
    # C's deadline passed while it waited: its clock is paused, so it has not missed it.
    assert table(seeded, "sla_compliance") == [("all", 3, 2, 66.7, 2, 1, 50.0)]
    assert table(seeded, "backlog_by_age") == [("all", 1, 2, 1, 1, 5)]  # still to be resolved
