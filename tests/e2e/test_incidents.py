"""A burst of complaints on real processes becomes one incident: one first alert, one update.

gunicorn, router, notifier and beat run as real processes on PostgreSQL and Redis, alerting a
real SMTP server and a Slack stand-in; the routing file groups the owner's alerts.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.celery_app import create_celery
from shared.db import make_engine, make_session_factory
from shared.models import Incident, IncidentFlush, Response
from shared.settings import Settings
from tests.e2e.conftest import KEY, ROUTES
from tests.e2e.harness import dissatisfied, http, running, wait_until
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
GROUP_WAIT_S = 3
GROUPED = ROUTES.replace(
    "route:\n  receiver: delivery-team\n",
    "route:\n  receiver: delivery-team\n  group_by: [touchpoint]\n"
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


def test_fifty_complaints_page_the_owner_once_then_update_once(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str],
    smtp: SMTPRecorder, slack: SlackStandin,
) -> None:  # fmt: skip
    loop_settings.routes_file.write_text(GROUPED)
    engine = make_engine(loop_settings.effective_database_url)
    try:
        run_burst(tmp_path, loop_settings, loop_env, smtp, slack, make_session_factory(engine))
    finally:
        engine.dispose()


def run_burst(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], smtp: SMTPRecorder,
    slack: SlackStandin, sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    def flushes() -> list[IncidentFlush]:
        with sessions() as s:
            return list(s.scalars(select(IncidentFlush).order_by(IncidentFlush.seq)))

    def incident() -> Incident | None:
        with sessions() as s:
            return s.scalars(select(Incident)).one_or_none()

    names = ("ingest", "router", "notifier", "beat")
    with running(loop_settings, tmp_path, *names, env=loop_env) as system:
        # Warm the router up (its first response loads the language models): what is
        # measured below is grouping's delay, not a cold start's.
        happy = dissatisfied("warm-up", "Lovely service, thank you!", scores={"nps": 10})
        assert http("POST", system.base_url + "/v1/responses", happy, KEY)[0] == 202
        wait_until(lambda: routed(sessions), 60, "the warm-up response to be routed")
        burst(system.base_url, "a", 30)
        wait_until(lambda: slack.posts and smtp.messages, 60, "the first incident alert")
        first = incident()
        assert first is not None
        waited = slack.posts[0].at - first.first_seen_at.timestamp()
        assert waited <= GROUP_WAIT_S + 1, f"first alert {waited:.2f}s after the first case"
        (snapshot,) = flushes()
        assert snapshot.kind == "first"
        text = str(slack.posts[0].body)
        assert f"Incident #{first.id}: {snapshot.count} similar complaints" in text
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text  # examples escaped
        assert text.count("Courier lost my parcel") == 3  # three examples

        burst(system.base_url, "b", 20)
        wait_until(lambda: len(slack.posts) >= 2 and len(smtp.messages) >= 2, 60, "the update")
        update = flushes()[-1]
        assert (update.kind, update.count, update.new) == ("update", 50, 50 - snapshot.count)
        assert f"update: 50 similar complaints, {update.new} new" in str(slack.posts[1].body)
        assert len(flushes()) == 2  # the update counted every one of the 20 new cases

        # A redelivered flush (or one the sweep sends late) finds nothing to send.
        producer = create_celery(loop_settings)
        task_id = str(uuid.uuid4())
        producer.send_task(task_names.FLUSH_INCIDENT, args=[first.id], task_id=task_id)
        producer.close()
        notifier = system.processes["notifier"]
        wait_until(lambda: f"{task_id}] succeeded" in notifier.output(), 30, "the repeat flush")
        assert "'nothing'" in notifier.output().split(f"{task_id}] succeeded", 1)[1][:80]
        current = incident()
        assert current is not None and (current.count, current.flush_due_at) == (50, None)
        assert (len(slack.posts), len(smtp.messages)) == (2, 2)
        status, page = http("GET", system.base_url + "/v1/cases?limit=200", key=KEY)
        assert status == 200 and len(page["items"]) == 50


def routed(sessions: sessionmaker[Session]) -> bool:
    with sessions() as s:
        return s.scalar(select(Response.routed_at)) is not None
