"""Fair assignment: the pure choice, then the sweep on a real database (both engines)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from services.desk.assignment import Member, assign_waiting, choose
from services.desk.config import AssignmentPolicy, DeskConfigError, parse_desk_config
from services.desk.models import User
from services.desk.narrative import timeline_entry
from shared.db import transaction
from shared.models import Case, CaseEvent, Delivery
from shared.settings import Settings
from tests.desk.factories import T0, make_case, make_user

TODAY = date(2026, 3, 2)


def member(n: int, **fields: object) -> Member:
    values: dict[str, object] = {
        "id": n, "email": f"p{n}@example.com", "active": True, "away_from": None,
        "away_until": None, "open_cases": 0, "last_assigned_at": None,
    }  # fmt: skip
    return Member(**(values | fields))  # type: ignore[arg-type]


def test_round_robin_takes_the_longest_waiting_available_member() -> None:
    at = datetime(2026, 3, 1, 9, 0)
    team = [member(1, last_assigned_at=at), member(2, last_assigned_at=at - timedelta(hours=1)),
            member(3, last_assigned_at=at + timedelta(hours=1))]  # fmt: skip
    assert choose("ops", team, AssignmentPolicy(), today=TODAY).email == "p2@example.com"
    fresh = [*team, member(4)]  # never assigned: first turn
    first = choose("ops", fresh, AssignmentPolicy(), today=TODAY)
    assert (first.email, "first turn" in first.reason) == ("p4@example.com", True)


def test_people_away_disabled_or_at_their_cap_are_skipped_and_named() -> None:
    team = [
        member(1, away_from=date(2026, 3, 1), away_until=date(2026, 3, 4)),
        member(2, open_cases=5),
        member(3, active=False),
        member(4, open_cases=2, last_assigned_at=datetime(2026, 3, 2)),
    ]
    choice = choose("ops", team, AssignmentPolicy(max_open=5), today=TODAY)
    assert choice.email == "p4@example.com"
    assert "p1@example.com out of office until 2026-03-04" in choice.reason
    assert "p2@example.com at the cap (5/5 open)" in choice.reason
    assert "p3@example.com disabled" in choice.reason
    back = choose("ops", team[:1], AssignmentPolicy(), today=date(2026, 3, 5))
    assert back.email == "p1@example.com"  # the day after the last day away


def test_the_backup_owner_takes_it_when_nobody_in_the_team_can() -> None:
    team = [member(1, open_cases=3)]
    policy = AssignmentPolicy(max_open=3, backup="boss@example.com")
    backup = member(9, email="boss@example.com", open_cases=40)  # the cap is the team's
    chosen = choose("ops", team, policy, today=TODAY, backup=backup)
    assert chosen.email == "boss@example.com" and "backup owner" in chosen.reason
    away = member(9, email="boss@example.com", away_from=TODAY)
    nobody = choose("ops", team, policy, today=TODAY, backup=away)
    assert nobody.email is None
    assert nobody.reason.endswith(
        "and the backup owner boss@example.com is not either; the case stays with the team"
    )


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        ({"mode": "random"}, "teams.delivery.assignment.mode: must be one of round_robin"),
        ({"mode": "round_robin", "max_open": 0}, "max_open: must be a whole number"),
        ({"mode": "round_robin", "backup": "nobody"}, "backup: must be the email"),
        ({"mode": "round_robin", "cap": 3}, "teams.delivery.assignment"),
    ],
)
def test_a_bad_assignment_rule_names_its_key(assignment: dict[str, object], says: str) -> None:
    with pytest.raises(DeskConfigError, match=says):
        parse_desk_config(_desk(assignment))


def _desk(assignment: dict[str, object]) -> dict[str, object]:
    return {
        "sla": [{"acknowledge": "1h", "resolve": "1d"}],
        "escalation": [{"to": "owner", "after": "0m"}],
        "teams": {"delivery": {"receivers": ["delivery-team"], "assignment": assignment}},
        "root_causes": {"default": ["other"]},
    }


CONFIG = parse_desk_config(
    _desk({"mode": "round_robin", "max_open": 2, "backup": "lead@example.com"})
)


def assignees(sessions: sessionmaker[Session]) -> list[str | None]:
    with sessions() as s:
        users = {u.id: u.email for u in s.scalars(select(User))}
        return [users.get(c.assignee_id or 0) for c in s.scalars(select(Case).order_by(Case.id))]


def test_the_sweep_takes_turns_respects_caps_and_explains_each_choice(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as s:
        make_user(s, "ann@example.com", "owner", team="delivery")
        make_user(s, "bob@example.com", "owner", team="delivery")
        away = make_user(s, "cat@example.com", "owner", team="delivery")
        away.away_from, away.away_until = date(2026, 3, 1), date(2026, 3, 9)
        make_user(s, "lead@example.com", "owner")
        for _ in range(6):
            make_case(s, owner="delivery-team")
        make_case(s, owner="stores-team")  # a team without round robin: left alone
    now = T0 + timedelta(minutes=1)
    sent = assign_waiting(sessions, config=CONFIG, now=now)
    assert assignees(sessions) == [
        "ann@example.com", "bob@example.com", "ann@example.com", "bob@example.com",
        "lead@example.com", "lead@example.com", None,
    ]  # fmt: skip
    assert assign_waiting(sessions, config=CONFIG, now=now) == []  # a repeated sweep: nothing
    told = sorted(filter(None, assignees(sessions)))
    with sessions() as s:
        alerts = s.scalars(select(Delivery).where(Delivery.id.in_(sent))).all()
        assert sorted(d.target for d in alerts) == told
        first = s.scalars(select(CaseEvent).where(CaseEvent.action == "assign")).first()
        assert first is not None
        said = timeline_entry(first.action, first.actor, first.detail, lambda e: e)
    assert said["text"] == "Round robin assigned the case to ann@example.com"
    assert said["quote"].startswith("round robin in team delivery: ann@example.com, first turn")
    assert "cat@example.com out of office until 2026-03-09" in said["quote"]


def test_when_nobody_can_take_it_the_case_says_so_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        make_user(s, "ann@example.com", "owner", team="delivery").active = False
        case_id = make_case(s, owner="delivery-team").id
    config = parse_desk_config(_desk({"mode": "round_robin"}))
    for minute in (1, 2):
        assert assign_waiting(sessions, config=config, now=T0 + timedelta(minutes=minute)) == []
    with sessions() as s:
        mine = (CaseEvent.case_id == case_id, CaseEvent.action == "not_assigned")
        events = s.scalars(select(CaseEvent).where(*mine)).all()
        assert [e.detail["reason"] for e in events] == [
            "nobody in team delivery is available (skipped: ann@example.com disabled); "
            "the case stays with the team"
        ]


def test_the_cli_sets_and_clears_out_of_office_days(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        make_user(s, "ann@example.com", "owner", team="delivery")
    env, runner = settings.to_env(), CliRunner()
    ok = runner.invoke(main, ["user", "away", "--email", "ann@example.com", "--from",
                              "2026-12-24", "--until", "2026-12-31"], env=env)  # fmt: skip
    assert ok.exit_code == 0 and "away 2026-12-24 to 2026-12-31" in ok.output
    with sessions() as s:
        ann = s.scalars(select(User)).one()
        assert (ann.away_from, ann.away_until) == (date(2026, 12, 24), date(2026, 12, 31))
    bad = runner.invoke(main, ["user", "away", "--email", "ann@example.com", "--from",
                               "2026-12-31", "--until", "2026-12-24"], env=env)  # fmt: skip
    assert bad.exit_code == 2 and "--until is before --from" in bad.output
    assert runner.invoke(main, ["user", "away", "--email", "ann@example.com", "--back"],
                         env=env).exit_code == 0  # fmt: skip
    with sessions() as s:
        assert s.scalars(select(User.away_from)).one() is None
