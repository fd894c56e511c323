"""The SLA check on a real database: time is driven forward; each step escalates exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.desk import flows
from services.desk.config import parse_desk_config
from services.desk.escalation import BATCH, breached_counts, check_sla
from services.desk.models import User
from shared import silences
from shared.db import transaction
from shared.models import Case, CaseEvent, Delivery
from tests.desk.factories import T0, add_assignment, make_case, make_user

CONFIG = parse_desk_config(
    {
        "sla": [{"acknowledge": "1h", "resolve": "1d"}],
        "escalation": [
            {"to": "owner", "after": "0m"},
            {"to": "team_lead", "after": "2h"},
            {"to": "champion", "after": "8h"},
        ],
        "champions": {"slack": [{"channel": "#cx-escalations"}]},
        "teams": {"delivery": {"receivers": ["delivery-team"]}},
        "root_causes": {"default": ["other"]},
    }
)


def escalations(sessions: sessionmaker[Session]) -> list[tuple[int, str, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(Delivery.step, Delivery.receiver, Delivery.channel, Delivery.target)
            .where(Delivery.kind == "escalation")
            .order_by(Delivery.step, Delivery.target)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_each_escalation_step_fires_once_as_time_passes(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        make_user(session, "lead@example.com", "owner", team="delivery", lead=True)
        make_user(session, "champ@example.com", "champion")
        case = make_case(session)
        add_assignment(session, case)
        case_id = case.id

    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(minutes=59)) == []
    with sessions() as session:
        stored = session.get(Case, case_id)
        assert stored is not None
        assert stored.ack_due_at == T0 + timedelta(hours=1)
        assert stored.resolve_due_at == T0 + timedelta(days=1)

    first = check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=1))
    assert len(first) == 1
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=2)) == []
    assert escalations(sessions) == [(1, "owner", "email", "delivery-lead@example.com")]

    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=3))) == 1
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=3, minutes=1)) == []
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=9))) == 2
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(days=3)) == []

    assert escalations(sessions) == [
        (1, "owner", "email", "delivery-lead@example.com"),
        (2, "team_lead", "email", "lead@example.com"),
        (3, "champion", "email", "champ@example.com"),
        (3, "champion", "slack", "channel:#cx-escalations"),
    ]
    with sessions() as session:
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.action == "escalate").order_by(CaseEvent.id)
        ).all()
        assert [e.detail["step"] for e in events] == [1, 2, 3]
        assert {e.detail["breach"] for e in events} == {"acknowledge"}
        pending = session.scalars(select(Delivery.status).where(Delivery.kind == "escalation"))
        assert set(pending) == {"pending"}


def test_acknowledged_in_time_means_no_escalation_until_the_resolve_deadline(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        case = make_case(session, acknowledged_at=T0 + timedelta(minutes=30), status="acknowledged")
        add_assignment(session, case)
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=12)) == []
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(days=1))) == 1
    with sessions() as session:
        event = session.scalar(select(CaseEvent).where(CaseEvent.action == "escalate"))
        assert event is not None and event.detail["breach"] == "resolve"


def test_resolved_cases_and_a_missing_team_lead_are_handled(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        make_case(session, status="resolved", resolved_at=T0 + timedelta(days=2))
        open_case = make_case(session, owner="unknown-team")
        add_assignment(session, open_case, target="ops@example.com")
    created = check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=3))
    assert escalations(sessions) == [(1, "owner", "email", "ops@example.com")]
    assert len(created) == 1
    with sessions() as session:
        skipped = session.scalars(
            select(CaseEvent).where(CaseEvent.action == "escalate").order_by(CaseEvent.id)
        ).all()
        assert [e.detail["step"] for e in skipped] == [1, 2]
        assert "no team_lead to notify" in skipped[1].detail["warning"]


def test_a_new_breach_escalates_behind_more_than_a_batch_of_fully_escalated_cases(
    sessions: sessionmaker[Session],
) -> None:
    now = T0 + timedelta(days=3)
    with transaction(sessions) as session:
        make_user(session, "champ@example.com", "champion")
        for _ in range(BATCH + 1):  # overdue, every step already taken: nothing left to do
            make_case(session, ack_due_at=T0 + timedelta(hours=1),
                      resolve_due_at=T0 + timedelta(days=1), escalation_step=3)  # fmt: skip
        for _ in range(20):  # step 1 taken, step 2 not due for another hour
            make_case(session, ack_due_at=now - timedelta(hours=1),
                      resolve_due_at=now + timedelta(days=1), escalation_step=1)  # fmt: skip
        fresh = make_case(session, created_at=now - timedelta(hours=2))
        add_assignment(session, fresh)
        fresh_id = fresh.id

    created = check_sla(sessions, config=CONFIG, now=now)

    with sessions() as session:
        rows = session.execute(
            select(Delivery.case_id, Delivery.step).where(Delivery.id.in_(created))
        ).all()
    assert sorted(rows) == [(fresh_id, 1)]  # its owner, the first step; nobody else again


def test_a_silence_holds_escalations_until_it_is_over(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        case = make_case(session, analysis={"labels": {"touchpoint": "delivery"}})
        add_assignment(session, case)
        silences.create(
            session,
            silences.NewSilence(('touchpoint = "delivery"',), T0 + timedelta(hours=4),
                                "courier strike", "champ@example.com"),
            now=T0,
        )  # fmt: skip
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=1)) == []
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=3)) == []
    assert escalations(sessions) == []
    # Over: the steps now due are taken, once.
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=4))) == 1
    assert escalations(sessions) == [(1, "owner", "email", "delivery-lead@example.com")]


def test_a_snooze_holds_the_chain_which_resumes_counted_from_its_end(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        make_user(session, "lead@example.com", "owner", team="delivery", lead=True)
        case = make_case(session)
        add_assignment(session, case)
        case_id = case.id
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=1))) == 1
    with transaction(sessions) as session:
        stored = session.get(Case, case_id)
        assert stored is not None
        stored.snoozed_until = T0 + timedelta(hours=5)
    # Step 2 was due at 3h: the snooze holds it, and waking up does not send it at once.
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=3)) == []
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=5)) == []
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=7))) == 1
    assert escalations(sessions)[-1] == (2, "team_lead", "email", "lead@example.com")
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=12)) == []


def test_a_case_snoozed_before_its_breach_is_escalated_when_the_snooze_ends(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        case = make_case(session, snoozed_until=T0 + timedelta(hours=4))
        add_assignment(session, case)
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=2)) == []
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(hours=4))) == 1
    assert escalations(sessions) == [(1, "owner", "email", "delivery-lead@example.com")]


def test_no_breach_or_escalation_while_waiting_on_the_customer(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        owner = make_user(session, "lead@example.com", "owner", team="delivery", lead=True)
        acknowledged = {"status": "acknowledged", "acknowledged_at": T0 + timedelta(minutes=30)}
        waiting, running = make_case(session, **acknowledged), make_case(session, **acknowledged)
        add_assignment(session, waiting)
        add_assignment(session, running)
        waiting_id, running_id, owner_id = waiting.id, running.id, owner.id

    def act(action: str, now: datetime) -> None:
        with transaction(sessions) as session:
            user = session.get(User, owner_id)
            assert user is not None
            flows.perform(session, user=user, case_id=waiting_id, action=action, data={},
                          config=CONFIG, now=now)  # fmt: skip

    act("wait", T0 + timedelta(hours=2))
    # Both were due at T0 + 1d: only the case whose clock runs is escalated, step after step.
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(days=1, hours=1))) == 1
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(days=1, hours=9))) == 2
    with sessions() as session:
        assert breached_counts(session, now=T0 + timedelta(days=1, hours=9)) == {
            "acknowledge": 0, "resolve": 1,
        }  # fmt: skip
        escalated = session.scalars(select(Delivery.case_id).where(Delivery.kind == "escalation"))
        assert set(escalated) == {running_id}

    act("resume", T0 + timedelta(days=2))  # waited 46 hours: the deadline moves on by as much
    with sessions() as session:
        resumed = session.get(Case, waiting_id)
        assert resumed is not None
        assert (resumed.status, resumed.paused_at) == ("in_progress", None)
        assert resumed.resolve_due_at == T0 + timedelta(days=2, hours=22)
        assert resumed.paused_seconds == 46 * 3600
    assert check_sla(sessions, config=CONFIG, now=T0 + timedelta(days=2, hours=21)) == []
    assert len(check_sla(sessions, config=CONFIG, now=T0 + timedelta(days=2, hours=22))) == 1
    with sessions() as session:
        assert session.scalars(
            select(CaseEvent.detail["breached_at"].as_string())
            .where(CaseEvent.case_id == waiting_id, CaseEvent.action == "escalate")
        ).all() == [(T0 + timedelta(days=2, hours=22)).isoformat()]  # fmt: skip
