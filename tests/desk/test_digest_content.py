"""A digest's figures from a seeded database (SQLite and PostgreSQL), and its content."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import DeskConfig, load_desk_config
from services.desk.digest import RECOVERY_PENDING, compose
from services.desk.digest_figures import (
    Breach,
    Figures,
    Window,
    collect,
    owner_scope,
    recovery_rate,
    team_scope,
)
from services.desk.models import Contact, User
from shared.db import transaction
from shared.models import Case
from shared.settings.files import EXAMPLE_DESK
from tests.desk.factories import make_case, make_user

H = timedelta(hours=1)
NOW = datetime(2026, 3, 5, 8, 40, tzinfo=UTC)
SPAN = Window(datetime(2026, 3, 4, 8, 30, tzinfo=UTC), datetime(2026, 3, 5, 8, 30, tzinfo=UTC))
LONDON = ZoneInfo("Europe/London")


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def config() -> DeskConfig:
    return load_desk_config(EXAMPLE_DESK)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Delivery-team cases in and around the span, and one of the stores team."""
    with transaction(sessions) as s:
        ids = {
            # open, acknowledge deadline missed in the span
            "A": make_case(s, created_at=at(4, 10), ack_due_at=at(4, 12),
                           resolve_due_at=at(6, 10)),
            # acknowledged in time, resolve deadline missed in the span
            "B": make_case(s, created_at=at(1, 10), status="acknowledged",
                           acknowledged_at=at(1, 11), ack_due_at=at(1, 12),
                           resolve_due_at=at(4, 20)),
            # resolved in the span with a cause no case had before: a new theme
            "C": make_case(s, created_at=at(4, 9), status="resolved", acknowledged_at=at(4, 10),
                           resolved_at=at(4, 15), root_cause="lost_parcel"),
            # a cause seen two weeks before, so not new
            "D": make_case(s, created_at=at(18, 9, 2), status="resolved",
                           resolved_at=at(20, 9, 2), root_cause="carrier_delay"),
            "E": make_case(s, created_at=at(4, 9), status="resolved", resolved_at=at(4, 16),
                           root_cause="carrier_delay"),
            # open for a month, on track
            "F": make_case(s, created_at=at(1, 10, 2), status="in_progress",
                           acknowledged_at=at(1, 11, 2), resolve_due_at=at(10, 10)),
            # acknowledged an hour late, inside the span
            "H": make_case(s, created_at=at(4, 10), status="acknowledged",
                           acknowledged_at=at(4, 13), ack_due_at=at(4, 12),
                           resolve_due_at=at(6, 10)),
            # missed its acknowledge deadline the day before the span
            "I": make_case(s, created_at=at(2, 10), ack_due_at=at(3, 10),
                           resolve_due_at=at(8, 10)),
            # the stores team's: never in the delivery team's digest
            "G": make_case(s, created_at=at(4, 10), touchpoint="store", owner="stores-team",
                           ack_due_at=at(4, 11), resolve_due_at=at(4, 20)),
        }  # fmt: skip
        s.add(Contact(case_id=ids["C"].id, channel="phone", outcome="reached", at=at(4, 11)))
        return {name: case.id for name, case in ids.items()}


def test_a_team_digest_counts_only_the_team_s_cases_in_and_around_its_span(
    sessions: sessionmaker[Session], config: DeskConfig, seeded: dict[str, int]
) -> None:
    with sessions() as s:
        scope = team_scope("delivery", config=config, now=NOW)
        figures = collect(s, scope=scope, span=SPAN, now=NOW, config=config)
    assert figures.open_by_age == (("under_1d", 2), ("1d_to_3d", 1), ("3d_to_7d", 1),
                                   ("over_7d", 1))  # fmt: skip
    assert figures.open_total == 5
    assert dict(figures.open_by_sla) == {"overdue": 3, "on_track": 2}
    assert (figures.ack_breaches, figures.resolve_breaches) == (2, 1)
    assert {(b.case_id, b.deadline) for b in figures.breaches} == {
        (seeded["A"], "acknowledge"), (seeded["H"], "acknowledge"), (seeded["B"], "resolve")
    }  # fmt: skip
    assert figures.new_themes == (("delivery", "lost_parcel", 1),)
    assert (figures.cases, figures.contacted, figures.closed_loop_pct) == (4, 1, 25.0)
    assert figures.recovery_pct is None


def test_a_longer_lookback_or_none_changes_which_themes_are_new(
    sessions: sessionmaker[Session], config: DeskConfig, seeded: dict[str, int]
) -> None:
    short = replace(config, digests=replace(config.digests, themes_lookback=timedelta(days=7)))
    with sessions() as s:
        scope = team_scope("delivery", config=short, now=NOW)
        figures = collect(s, scope=scope, span=SPAN, now=NOW, config=short)
    # carrier_delay was last seen 13 days before the span: new again for a 7-day lookback.
    assert figures.new_themes == (("delivery", "carrier_delay", 1), ("delivery", "lost_parcel", 1))


def test_an_owner_digest_covers_their_own_cases_and_their_team_s(
    sessions: sessionmaker[Session], config: DeskConfig, seeded: dict[str, int]
) -> None:
    with transaction(sessions) as s:
        dora_id = make_user(s, "dora@example.com", "owner", team="stores").id
        s.get_one(Case, seeded["A"]).assignee_id = dora_id
    with sessions() as s:
        user = s.get_one(User, dora_id)
        figures = collect(s, scope=owner_scope(user, config=config), span=SPAN, now=NOW,
                          config=config)  # fmt: skip
    # Case A (assigned to her) and G (her team's), both open and overdue.
    assert figures.open_total == 2 and dict(figures.open_by_sla) == {"overdue": 2}
    assert {b.case_id for b in figures.breaches} == {seeded["A"], seeded["G"]}


def test_recovery_rate_waits_for_follow_ups(
    sessions: sessionmaker[Session], config: DeskConfig
) -> None:
    with sessions() as s:
        assert recovery_rate(s, SPAN, team_scope("delivery", config=config, now=NOW)) is None


FIGURES = Figures(
    open_by_age=(("under_1d", 2), ("1d_to_3d", 0), ("3d_to_7d", 1), ("over_7d", 0)),
    open_by_sla=(("on_track", 1), ("overdue", 2)),
    ack_breaches=1,
    resolve_breaches=0,
    breaches=(Breach(7, "delivery", "p1", "acknowledge", at(4, 12)),),
    new_themes=(("delivery", "lost_parcel", 2),),
    cases=4,
    contacted=3,
    closed_loop_pct=75.0,
    recovery_pct=None,
)


def test_content_names_the_figures_in_local_time_with_links_to_the_desk() -> None:
    digest = compose(
        FIGURES, audience="team delivery", period="daily", since=SPAN.since, until=SPAN.until,
        zone=LONDON, public_url="https://cx.example.com/", team="delivery",
    )  # fmt: skip
    assert digest.title == "Daily digest for team delivery"
    assert digest.span == "Wed 4 Mar 2026, 08:30 GMT to Thu 5 Mar 2026, 08:30 GMT"
    assert digest.summary == (
        "Daily digest for team delivery: 3 open (2 overdue), 1 SLA breach, 1 new theme"
    )
    assert digest.desk_url == "https://cx.example.com/queue?status=open&team=delivery"
    lines = {line.label: line for section in digest.sections for line in section.lines}
    assert (
        lines["Overdue"].url == "https://cx.example.com/queue?status=open&sla=overdue&team=delivery"
    )
    assert lines["Case #7 (delivery, P1)"].value == "acknowledge was due Wed 4 Mar 2026, 12:00 GMT"
    assert lines["Case #7 (delivery, P1)"].url == "https://cx.example.com/cases/7"
    assert lines["delivery: lost parcel"].value == "2 cases"
    assert lines["Closed-loop rate (customer contacted)"].value == "75% (3 of 4)"
    assert lines["Recovery rate (detractors who say it was fixed)"].value == RECOVERY_PENDING


def test_an_empty_period_says_so_rather_than_showing_nothing() -> None:
    empty = Figures((("under_1d", 0),), (), 0, 0, (), (), 0, 0, None, 42.5)
    digest = compose(
        empty,
        audience="Ann",
        period="weekly",
        since=SPAN.since,
        until=SPAN.until,
        zone=LONDON,
        public_url="https://cx.example.com",
    )
    themes = next(s for s in digest.sections if s.title == "New themes")
    assert themes.lines == () and themes.empty
    lines = {line.label: line.value for section in digest.sections for line in section.lines}
    assert lines["Closed-loop rate (customer contacted)"] == "- (0 of 0)"
    assert lines["Recovery rate (detractors who say it was fixed)"] == "42.5%"
    assert digest.desk_url == "https://cx.example.com/queue?status=open"
