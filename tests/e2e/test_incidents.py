"""A burst of complaints on real processes becomes one incident: one first alert, one update.

gunicorn, router, notifier and beat run as real processes on PostgreSQL and Redis, alerting a
real SMTP server and a Slack stand-in; the routing file groups the owner's alerts.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.celery_app import create_celery, queue_depth
from shared.db import make_engine, make_session_factory
from shared.models import Incident, IncidentFlush
from shared.settings import Settings
from tests.e2e.conftest import KEY, ROUTES
from tests.e2e.harness import System, dissatisfied, http, running, wait_until
from tests.support.slack_standin import Post, SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
GROUP_WAIT_S = 3
BACKLOG = 2000
WARM_UP = 6  # complaints of another group, before the burst
GROUPED = ROUTES.replace(
    "route:\n  receiver: delivery-team\n",
    "route:\n  receiver: delivery-team\n  group_by: [touchpoint, region]\n"
    f"  group_wait: {GROUP_WAIT_S}s\n  group_interval: 6s\n  repeat_interval: 1h\n",
)


def burst(base_url: str, prefix: str, count: int) -> None:
    """Post `count` complaints about the same late parcels, eight at a time."""

    def post(i: int) -> None:
        comment = f"Courier lost my parcel <!channel> #{prefix}{i}"
        status, body = http("POST", base_url + "/v1/responses",
                            dissatisfied(f"{prefix}-{i}", comment), KEY)  # fmt: skip
        assert status == 202, body

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, range(count)))


@pytest.fixture
def sessions(loop_settings: Settings) -> Iterator[sessionmaker[Session]]:
    """The test's own view of the loop's database, with the grouping routes file in place."""
    loop_settings.routes_file.write_text(GROUPED)
    engine = make_engine(loop_settings.effective_database_url)
    yield make_session_factory(engine)
    engine.dispose()


def warm_up(system: System, slack: SlackStandin, smtp: SMTPRecorder) -> tuple[int, int]:
    """Alert complaints of another group (another region) first: the cold start of every router
    process and of the notifier (language models, connections) is not grouping's delay.
    Return the Slack and email counts so far."""

    def post(i: int) -> None:
        other = dissatisfied(f"warm-up-{i}", f"Courier lost my parcel #w{i}",
                             attributes={"region": "south"})  # fmt: skip
        assert http("POST", system.base_url + "/v1/responses", other, KEY)[0] == 202

    with ThreadPoolExecutor(WARM_UP) as pool:  # concurrently, to warm every router process
        list(pool.map(post, range(WARM_UP)))
    wait_until(lambda: slack.posts and smtp.messages, 60, "the warm-up alert")
    return len(slack.posts), len(smtp.messages)


def latest(sessions: sessionmaker[Session]) -> Incident:
    """The newest incident (the burst's: the warm-up's came first)."""
    with sessions() as s:
        found = s.scalars(select(Incident).order_by(Incident.id.desc()).limit(1)).one()
        return found


def test_fifty_complaints_page_the_owner_once_then_update_once(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str],
    smtp: SMTPRecorder, slack: SlackStandin, sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    names = ("ingest", "router", "notifier", "beat")
    with running(loop_settings, tmp_path, *names, env=loop_env) as system:
        posted, mailed = warm_up(system, slack, smtp)

        def alerts() -> tuple[list[Post], int]:
            return slack.posts[posted:], len(smtp.messages) - mailed

        def flushes() -> list[IncidentFlush]:
            with sessions() as s:
                burst_only = IncidentFlush.incident_id == latest(sessions).id
                return list(s.scalars(select(IncidentFlush).where(burst_only)
                                      .order_by(IncidentFlush.seq)))  # fmt: skip

        burst(system.base_url, "a", 30)
        wait_until(lambda: alerts()[0] and alerts()[1], 60, "the first incident alert")
        first = latest(sessions)
        waited = alerts()[0][0].at - first.first_seen_at.timestamp()
        assert waited <= GROUP_WAIT_S + 1, f"first alert {waited:.2f}s after the first case"
        (snapshot,) = flushes()
        assert snapshot.kind == "first"
        text = str(alerts()[0][0].body)
        assert f"Incident #{first.id}: {snapshot.count} similar complaint" in text
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text  # examples escaped
        assert text.count("Courier lost my parcel") == min(3, snapshot.count)

        burst(system.base_url, "b", 20)
        wait_until(lambda: len(alerts()[0]) >= 2 and alerts()[1] >= 2, 60, "the update")
        update = flushes()[-1]
        assert (update.kind, update.count, update.new) == ("update", 50, 50 - snapshot.count)
        assert f"update: 50 similar complaints, {update.new} new" in str(alerts()[0][1].body)
        assert len(flushes()) == 2  # the update counted every case that came after the first

        # A redelivered flush (or one the sweep sends late) finds nothing to send.
        producer = create_celery(loop_settings)
        task_id = str(uuid.uuid4())
        producer.send_task(task_names.FLUSH_INCIDENT, args=[first.id], task_id=task_id)
        producer.close()
        notifier = system.processes["notifier"]
        wait_until(lambda: f"{task_id}] succeeded" in notifier.output(), 30, "the repeat flush")
        assert "'nothing'" in notifier.output().split(f"{task_id}] succeeded", 1)[1][:80]
        current = latest(sessions)
        assert (current.count, current.flush_due_at) == (50, None)
        assert (len(alerts()[0]), alerts()[1]) == (2, 2)
        status, page = http("GET", system.base_url + "/v1/cases?limit=200", key=KEY)
        assert status == 200 and len(page["items"]) == 50 + WARM_UP


def test_the_first_alert_keeps_its_time_behind_a_delivery_backlog(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str],
    smtp: SMTPRecorder, slack: SlackStandin, sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    # Four notifier threads: the backlog stays deep for long without starving the router of the
    # machine's two cores, so what is measured is the queueing, not a slow routing.
    settings = loop_settings.with_(notifier_concurrency=4)
    names = ("ingest", "router", "notifier", "beat")
    with running(settings, tmp_path, *names, env=loop_env) as system:
        posted, _ = warm_up(system, slack, smtp)
        producer = create_celery(settings)
        fake_ids = itertools.count(10**9)  # deliveries that do not exist: each costs a claim query

        def top_up() -> None:
            """Keep the notifier's queue at least half a backlog deep, however fast it drains."""
            depth = queue_depth(producer, task_names.NOTIFIER_QUEUE)
            if depth < BACKLOG // 2:
                with producer.producer_or_acquire() as publisher:
                    for _ in range(BACKLOG - depth):
                        producer.send_task(
                            task_names.DELIVER, args=[next(fake_ids)], producer=publisher
                        )

        top_up()
        burst(system.base_url, "c", 20)

        def first_post() -> float | None:
            if len(slack.posts) <= posted:
                top_up()
                return None
            return float(queue_depth(producer, task_names.NOTIFIER_QUEUE) + 1)

        behind = wait_until(first_post, 60, "the first incident alert") - 1
        producer.close()
        waited = slack.posts[posted].at - latest(sessions).first_seen_at.timestamp()
        assert behind > 0, "the notifier's queue drained before the alert: no load was shown"
        assert waited <= GROUP_WAIT_S + 1, f"first alert {waited:.2f}s after the first case"
