"""Point 16: a worker SIGKILLed mid-task loses nothing and the owner is alerted exactly once.

Each test makes the task block inside its database transaction by holding a row lock, kills the
pool child running it or the whole worker, releases the lock, and (for a whole worker) starts
a new one. The owner must then get one email and one Slack message within two minutes.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg
import pytest

from shared.settings import Settings
from tests.e2e.conftest import KEY
from tests.e2e.harness import System, dissatisfied, http, running, wait_until
from tests.e2e.locks import RowLock, process_on_port
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HEAL_WITHIN_S = 120.0
SHIPPED = Settings()


def post(system: System, response_id: str) -> int:
    """Post one dissatisfied response and return its row id."""
    status, body = http("POST", system.base_url + "/v1/responses", dissatisfied(response_id), KEY)
    assert status == 202, body
    return body["id"]


def wait_for_deliveries(url: str, response_id: int) -> int:
    """Wait until the router committed the case's deliveries; return the case id."""

    def case_with_deliveries() -> int | None:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT c.id FROM cases c JOIN deliveries d ON d.case_id = c.id"
                " WHERE c.response_id = %s LIMIT 1",
                [response_id],
            ).fetchone()
        return row[0] if row else None

    return wait_until(case_with_deliveries, 60, "the router to create the case and deliveries")


def kill_mid_task(system: System, service: str, lock: RowLock, *, whole: bool) -> None:
    """Start `service`, wait until its task blocks on the lock, SIGKILL the child or worker."""
    worker = system.start(service)
    ports = wait_until(lock.blocked_ports, 60, f"the {service} task to block on the row lock")
    child = process_on_port(worker, ports[0])
    assert child.pid != worker.proc.pid, "the task must run in a pool child"  # type: ignore[union-attr]
    if whole:
        worker.kill()
    else:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)


def assert_alerted_once(
    system: System, smtp: SMTPRecorder, slack: SlackStandin, since: float, settle_s: float
) -> None:
    """Within two minutes of `since`: exactly one email and one Slack post, and no more after."""
    remaining = HEAL_WITHIN_S - (time.monotonic() - since)
    try:
        wait_until(lambda: smtp.messages and slack.posts, remaining, "the owner's alerts")
    except AssertionError:
        print(system.logs())
        raise
    time.sleep(settle_s)
    assert len(smtp.messages) == 1, "the owner got the email more than once"
    assert len(slack.posts) == 1, "the owner got the Slack alert more than once"


@pytest.mark.parametrize("whole", [False, True], ids=["pool-child", "whole-worker"])
def test_router_killed_mid_task_routes_and_alerts_once(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], postgres_url: str,
    smtp: SMTPRecorder, slack: SlackStandin, whole: bool,
) -> None:  # fmt: skip
    with running(loop_settings, tmp_path, "ingest", "notifier", "beat", env=loop_env) as system:
        response_id = post(system, "crash-router")
        with RowLock(postgres_url, "responses", "id = %s", [response_id]) as lock:
            kill_mid_task(system, "router", lock, whole=whole)
        restarted = time.monotonic()
        if whole:
            system.start("router")
        assert_alerted_once(system, smtp, slack, restarted, settle_s=3 * 2.0)


@pytest.mark.parametrize("whole", [False, True], ids=["pool-child", "whole-worker"])
def test_notifier_killed_mid_task_alerts_once(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], postgres_url: str,
    smtp: SMTPRecorder, slack: SlackStandin, whole: bool,
) -> None:  # fmt: skip
    with running(loop_settings, tmp_path, "ingest", "router", "beat", env=loop_env) as system:
        case_id = wait_for_deliveries(postgres_url, post(system, "crash-notifier"))
        with RowLock(postgres_url, "deliveries", "case_id = %s", [case_id]) as lock:
            assert len(lock.ids) == 2
            kill_mid_task(system, "notifier", lock, whole=whole)
        restarted = time.monotonic()
        if whole:
            system.start("notifier")
        assert_alerted_once(system, smtp, slack, restarted, settle_s=3 * 2.0)


@pytest.mark.parametrize("service", ["router", "notifier"])
def test_whole_worker_killed_heals_within_two_minutes_with_shipped_defaults(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], postgres_url: str,
    smtp: SMTPRecorder, slack: SlackStandin, service: str,
) -> None:  # fmt: skip
    settings = loop_settings.with_(
        sweep_interval_s=SHIPPED.sweep_interval_s,
        sweep_grace_s=SHIPPED.sweep_grace_s,
        delivery_lease_s=SHIPPED.delivery_lease_s,
        visibility_timeout_s=SHIPPED.visibility_timeout_s,
    )
    others = [n for n in ("ingest", "router", "notifier", "beat") if n != service]
    with running(settings, tmp_path, *others, env=loop_env) as system:
        response_id = post(system, f"defaults-{service}")
        if service == "router":
            lock = RowLock(postgres_url, "responses", "id = %s", [response_id])
        else:
            case_id = wait_for_deliveries(postgres_url, response_id)
            lock = RowLock(postgres_url, "deliveries", "case_id = %s", [case_id])
        with lock:
            kill_mid_task(system, service, lock, whole=True)
        restarted = time.monotonic()
        system.start(service)
        assert_alerted_once(system, smtp, slack, restarted, settle_s=SHIPPED.sweep_interval_s)
