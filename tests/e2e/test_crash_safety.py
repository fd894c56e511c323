"""Point 16: a worker SIGKILLed mid-task loses nothing and the owner is alerted exactly once.

Each test makes the task block inside its database transaction by holding a row lock, kills the
pool child running it or the whole worker, releases the lock, and (for a whole worker) starts
a new one. The owner must then get one email and one Slack message within two minutes.

A dead pool child's task is put back at once (acks_late + reject_on_worker_lost): those tests run
with the shipped sweep settings and demand the alert long before any sweep could have helped.
A dead worker's unacknowledged task only comes back after the visibility timeout, so there the
sweeps heal: once with short sweep settings, and once with the shipped ones.
"""

from __future__ import annotations

import re
import signal
import time
from contextlib import AbstractContextManager
from pathlib import Path

import psycopg
import pytest

from shared import task_names
from shared.settings import Settings
from tests.e2e.conftest import KEY
from tests.e2e.harness import System, dissatisfied, http, running, wait_until
from tests.e2e.locks import RowLock, process_in_tree
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HEAL_WITHIN_S = 120.0
REQUEUED_WITHIN_S = 15.0
# The shortest timings the settings accept (countdown + task time limit < visibility timeout).
SHORT_TIMINGS = {"visibility_timeout_s": 8, "task_time_limit_s": 6, "retry_countdown_max_s": 1}
SHIPPED = Settings()
BLOCKED_TASK = {"router": task_names.PROCESS_RESPONSE, "notifier": task_names.DELIVER}


def shipped_sweeps(settings: Settings) -> Settings:
    """The test settings with the shipped sweep, lease and visibility settings."""
    return settings.with_(
        sweep_interval_s=SHIPPED.sweep_interval_s,
        sweep_grace_s=SHIPPED.sweep_grace_s,
        delivery_lease_s=SHIPPED.delivery_lease_s,
        visibility_timeout_s=SHIPPED.visibility_timeout_s,
    )


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


def kill_mid_task(system: System, service: str, lock: RowLock, *, whole: bool) -> list[str]:
    """Start `service`, wait until its task blocks on the lock, SIGKILL the child or worker.

    Returns the ids of the tasks the killed worker had received.
    """
    worker = system.start(service)
    pids = wait_until(lock.blocked_pids, 60, f"the {service} task to block on the row lock")
    child = process_in_tree(worker, pids[0])
    if not whole:
        assert child.pid != worker.proc.pid, "the task must run in a pool child"  # type: ignore[union-attr]
    if whole:
        worker.kill()
    else:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    task = re.escape(BLOCKED_TASK[service])
    return re.findall(rf"Task {task}\[([0-9a-f-]+)\] received", worker.output())


def assert_alerted_once(
    system: System, smtp: SMTPRecorder, slack: SlackStandin, *, since: float, within: float,
    settle_s: float,
) -> None:  # fmt: skip
    """Within `within` s of `since`: exactly one email and one Slack post, and no more after."""
    remaining = within - (time.monotonic() - since)
    try:
        wait_until(lambda: smtp.messages and slack.posts, remaining, "the owner's alerts")
    except AssertionError:
        print(system.logs())
        raise
    time.sleep(settle_s)
    assert len(smtp.messages) == 1, "the owner got the email more than once"
    assert len(slack.posts) == 1, "the owner got the Slack alert more than once"


@pytest.mark.parametrize("service", ["router", "notifier"])
def test_pool_child_killed_mid_task_is_redone_at_once_and_alerts_once(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], postgres_url: str,
    smtp: SMTPRecorder, slack: SlackStandin, service: str,
) -> None:  # fmt: skip
    # The notifier runs on threads by default, which have no child to kill: this case holds for
    # those who choose its prefork pool (CXLOOP_NOTIFIER_POOL=prefork).
    settings = shipped_sweeps(loop_settings).with_(notifier_pool="prefork", notifier_concurrency=2)
    with start_all_but(service, settings, tmp_path, loop_env) as system:
        with lock_work_of(service, system, postgres_url) as lock:
            kill_mid_task(system, service, lock, whole=False)
        killed = time.monotonic()
        assert_alerted_once(
            system, smtp, slack, since=killed, within=REQUEUED_WITHIN_S, settle_s=5.0
        )


@pytest.mark.parametrize("service", ["router", "notifier"])
@pytest.mark.parametrize("sweeps", ["short", "shipped"])
def test_whole_worker_killed_mid_task_heals_within_two_minutes_and_alerts_once(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], postgres_url: str,
    smtp: SMTPRecorder, slack: SlackStandin, service: str, sweeps: str,
) -> None:  # fmt: skip
    # Short sweeps also get a visibility timeout as short as the settings allow, and the new worker
    # starts once it has run out, so it restores the dead one's original messages as it starts
    # (Redis transport): they must not alert twice.
    short = loop_settings.with_(**SHORT_TIMINGS)
    settings = short if sweeps == "short" else shipped_sweeps(loop_settings)
    with start_all_but(service, settings, tmp_path, loop_env) as system:
        with lock_work_of(service, system, postgres_url) as lock:
            lost = kill_mid_task(system, service, lock, whole=True)
        if sweeps == "short":
            time.sleep(settings.visibility_timeout_s)
        system.start(service)
        restarted = time.monotonic()
        assert_alerted_once(
            system, smtp, slack, since=restarted, within=HEAL_WITHIN_S,
            settle_s=10.0 if sweeps == "short" else settings.sweep_interval_s,
        )  # fmt: skip
        if sweeps == "short":
            output = system.processes[service].output()
            assert lost and all(f"[{task_id}] received" in output for task_id in lost)


def start_all_but(
    service: str, settings: Settings, log_dir: Path, env: dict[str, str]
) -> AbstractContextManager[System]:
    """Run every process except `service`, whose task the test will kill."""
    others = [n for n in ("ingest", "router", "notifier", "beat") if n != service]
    return running(settings, log_dir, *others, env=env)


def lock_work_of(service: str, system: System, url: str) -> RowLock:
    """Post a response and lock the row `service`'s task for it must update."""
    response_id = post(system, f"crash-{service}")
    if service == "router":
        return RowLock(url, "responses", "id = %s", [response_id])
    case_id = wait_for_deliveries(url, response_id)
    lock = RowLock(url, "deliveries", "case_id = %s", [case_id])
    assert len(lock.ids) == 2, "one email and one Slack delivery"
    return lock
