"""Grouping on both databases: alike cases join one incident, alerts flush once per sequence."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.notifier import incidents as flushes
from services.router import service
from services.router.config import ConfigError, RouterConfig, parse_config
from services.router.decision import detector_for
from services.router.grouping import parse_duration
from services.router.incidents import FlushDue
from shared.enums import CaseStatus, DeliveryKind
from shared.models import Case, Delivery, Incident, IncidentCase, IncidentFlush, Response

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)

ROUTES = """
touchpoints:
  website: {description: "The website", keywords: [website, login]}
  delivery: {description: "Delivery", keywords: [parcel, courier]}
receivers:
  - name: champs
    email: [champs@example.com]
  - name: web-team
    email: [web@example.com]
    slack: [{channel: "#web"}]
route:
  receiver: champs
  group_wait: 10s
  routes:
    - matchers: ['touchpoint = "website"']
      receiver: web-team
      group_by: [touchpoint, region]
      group_interval: 1m
      repeat_interval: 1h
"""


@pytest.fixture
def config() -> RouterConfig:
    return parse_config(ROUTES, source="routes.yml")


def store(sessions: sessionmaker[Session], comment: str, region: str = "eu") -> int:
    with sessions() as session, session.begin():
        response = Response(
            source="test", external_id=f"r-{next(_ids)}", submitted_at=NOW, nps=1,
            comment=comment, attributes={"region": region},
        )  # fmt: skip
        session.add(response)
        session.flush()
        return response.id


def route(
    sessions: sessionmaker[Session], config: RouterConfig, response_id: int, at: datetime = NOW
) -> tuple[list[int], list[FlushDue]]:
    batch = service.Batch()
    with sessions() as session, session.begin():
        service.route_into(
            batch, session, response_id=response_id, config=config,
            detector=detector_for(config), now=at,
        )  # fmt: skip
        batch.finish(session)
    return batch.delivery_ids, batch.flushes


def flush(sessions: sessionmaker[Session], incident_id: int, at: datetime) -> Any:
    with sessions() as session, session.begin():
        return flushes.flush(session, incident_id=incident_id, now=at)


def one(sessions: sessionmaker[Session], model: type) -> Any:
    with sessions() as session:
        return session.scalars(select(model)).one()


def count(sessions: sessionmaker[Session], query: Any) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(query)) or 0


def test_the_timers_are_inherited_and_grouping_is_opt_in(config: RouterConfig) -> None:
    assert config.route.grouping is None  # no group_by at the root: one alert per case
    grouping = config.route.routes[0].grouping
    assert grouping is not None
    assert (grouping.by, grouping.wait_s, grouping.interval_s, grouping.repeat_s) == (
        ("touchpoint", "region"), 10.0, 60.0, 3600.0,
    )  # fmt: skip


def _with(extra: str) -> str:
    """The grouped route with other grouping keys."""
    old = "      group_by: [touchpoint, region]\n      group_interval: 1m\n"
    old += "      repeat_interval: 1h\n"
    assert old in ROUTES
    return ROUTES.replace(old, extra)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("      group_by: [touchpoint, 9x]\n", "route.routes[0].group_by[1]: not a label name"),
        ("      group_by: [region, region]\n", "route.routes[0].group_by: a label is listed twice"),
        ("      group_by: region\n", "route.routes[0].group_by: Not a valid list."),
        ("      group_wait: 30\n", "route.routes[0].group_wait: Not a valid string."),
        ("      group_wait: 5x\n", "route.routes[0].group_wait: bad duration '5x'"),
        ("      group_interval: 0s\n", "route.routes[0].group_interval: must be above 0"),
        ("      repeat_interval: 31d\n", "route.routes[0].repeat_interval: must be above 0 and"),
        ("      group_interval: 5h\n",
         "route.routes[0].repeat_interval: must not be shorter than group_interval"),
        ("      group_by_: [a]\n", "route.routes[0].group_by_: unknown key"),
    ],
)  # fmt: skip
def test_bad_grouping_names_file_key_and_reason(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as failed:
        parse_config(_with(extra), source="routes.yml")
    assert f"routes.yml: {message}" in str(failed.value)


def test_an_empty_group_by_turns_grouping_off_below() -> None:
    config = parse_config(_with("      group_by: []\n"), source="routes.yml")
    assert config.route.routes[0].grouping is None
    assert parse_duration("1h30m") == 5400 and parse_duration("250ms") == 0.25


def test_a_burst_becomes_one_incident_with_one_first_alert(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    scheduled = []
    for i in range(12):  # psycopg prepares a statement after a few runs: the upsert must still work
        ids, due = route(sessions, config, store(sessions, f"The website login fails ({i})"))
        assert ids == []  # nobody is paged per case
        scheduled += due
    incident = one(sessions, Incident)
    assert (incident.count, incident.receiver, incident.labels) == (
        12, "web-team", {"group": [["touchpoint", "website"], ["region", "eu"]]},
    )  # fmt: skip
    assert scheduled == [FlushDue(incident.id, NOW + timedelta(seconds=10))]
    assert count(sessions, IncidentCase) == 12
    assert flush(sessions, incident.id, NOW + timedelta(seconds=9)).status == "not_due"
    with sessions() as session, session.begin():  # a lost flush task: the sweep finds it due
        assert flushes.due(session, now=NOW + timedelta(seconds=9)) == []
        due_at = NOW + timedelta(seconds=10)
        assert flushes.due(session, now=due_at) == [(incident.id, due_at)]
        soon = flushes.due(session, now=NOW, horizon=timedelta(seconds=10))
        assert soon == [(incident.id, due_at)]  # sent now with a countdown to its time

    sent = flush(sessions, incident.id, NOW + timedelta(seconds=10))
    assert sent.status == "sent" and len(sent.delivery_ids) == 2  # email and Slack
    snapshot = one(sessions, IncidentFlush)
    assert (snapshot.seq, snapshot.kind, snapshot.count, snapshot.new) == (1, "first", 12, 12)
    assert len(snapshot.examples["case_ids"]) == 3

    again = flush(sessions, incident.id, NOW + timedelta(seconds=11))  # a redelivered task
    assert again.status == "nothing" and again.delivery_ids == ()
    assert count(sessions, Delivery) == 2
    with sessions() as session:
        kinds = {(d.kind, d.step) for d in session.scalars(select(Delivery))}
    assert kinds == {(DeliveryKind.INCIDENT, snapshot.id)}


def test_a_case_after_the_alert_schedules_one_update_at_the_interval(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    route(sessions, config, store(sessions, "The website is down"))
    incident_id = one(sessions, Incident).id
    first_at = NOW + timedelta(seconds=10)
    flush(sessions, incident_id, first_at)
    _, due = route(sessions, config, store(sessions, "Login broken"), NOW + timedelta(seconds=20))
    assert due == [FlushDue(incident_id, first_at + timedelta(minutes=1))]
    _, due = route(sessions, config, store(sessions, "Login again"), NOW + timedelta(seconds=30))
    assert due == []  # the scheduled update will count it
    sent = flush(sessions, incident_id, first_at + timedelta(minutes=1))
    assert sent.status == "sent"
    with sessions() as session:
        update_row = session.scalars(select(IncidentFlush).where(IncidentFlush.seq == 2)).one()
    assert (update_row.kind, update_row.count, update_row.new) == ("update", 3, 2)


def test_other_groups_and_ungrouped_routes_are_apart(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    route(sessions, config, store(sessions, "The website is down", region="eu"))
    route(sessions, config, store(sessions, "The website is down", region="us"))
    ids, due = route(sessions, config, store(sessions, "The parcel never came"))
    assert count(sessions, Incident) == 2
    assert len(ids) == 1 and due == []  # the champions' route does not group: one alert per case


def test_an_open_incident_repeats_and_one_with_no_open_case_resolves(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    route(sessions, config, store(sessions, "The website is down"))
    incident_id = one(sessions, Incident).id
    flush(sessions, incident_id, NOW + timedelta(seconds=10))
    later = NOW + timedelta(seconds=10, hours=1)
    with sessions() as session, session.begin():
        assert flushes.due(session, now=later - timedelta(seconds=1)) == []
        assert flushes.due(session, now=later) == [(incident_id, later)]
    assert flush(sessions, incident_id, later).status == "sent"
    with sessions() as session, session.begin():
        assert session.scalars(select(IncidentFlush.kind).order_by(IncidentFlush.seq)).all() == [
            "first", "repeat",
        ]  # fmt: skip
        session.execute(update(Case).values(status=CaseStatus.RESOLVED))
    with sessions() as session, session.begin():
        assert flushes.due(session, now=later + timedelta(hours=1)) == []
    assert one(sessions, Incident).state == "resolved"
    _, due = route(sessions, config, store(sessions, "Website down again"), later)
    assert count(sessions, Incident) == 2 and len(due) == 1  # a new incident opens


def test_a_redelivered_routing_task_reschedules_the_pending_flush(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    response_id = store(sessions, "The website is down")
    _, first = route(sessions, config, response_id)
    _, again = route(sessions, config, response_id)
    assert again == first and one(sessions, Incident).count == 1


@pytest.mark.postgres
def test_concurrent_routers_of_one_group_open_one_incident(postgres_url: str) -> None:
    from shared.db import make_engine, make_session_factory

    config = parse_config(ROUTES, source="routes.yml")
    engine = make_engine(postgres_url, pool_size=10)
    sessions = make_session_factory(engine)
    ids = [store(sessions, f"The website login fails {i}") for i in range(10)]
    due: list[list[FlushDue]] = []
    barrier = threading.Barrier(len(ids))

    def work(response_id: int) -> None:
        barrier.wait()
        due.append(route(sessions, config, response_id)[1])

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert one(sessions, Incident).count == 10
    assert sum(len(d) for d in due) == 1
    engine.dispose()
