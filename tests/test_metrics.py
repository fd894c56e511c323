"""shared.metrics and metrics_export: queue depths from a real Redis, bounded labels, counts only
of committed work, and the multiprocess directory every process tree starts empty."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import prometheus_client
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from shared import metrics, metrics_export, task_names
from shared.celery_app import create_celery
from shared.db import transaction
from shared.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def collected(collector: metrics_export.BrokerQueues) -> dict[tuple[str, tuple[str, ...]], float]:
    return {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def test_queue_depths_are_read_from_the_broker(tmp_path: Path, redis_url: str) -> None:
    celery = create_celery(Settings(data_dir=tmp_path, redis_url=redis_url))
    try:
        for response_id in (1, 2, 3):
            celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
        celery.send_task(task_names.PROCESS_RESPONSE, args=[4], priority=9)  # a list of its own
        celery.send_task(task_names.DELIVER, args=[1])
    finally:
        celery.close()

    samples = collected(metrics_export.BrokerQueues(redis_url))

    assert samples[("cxloop_broker_up", ())] == 1
    assert samples[("cxloop_queue_depth", ("router",))] == 4
    assert samples[("cxloop_queue_depth", ("notifier",))] == 1
    assert samples[("cxloop_broker_unacked", ())] == 0


def test_an_unreachable_broker_is_reported_rather_than_failing_the_scrape() -> None:
    samples = collected(metrics_export.BrokerQueues("redis://127.0.0.1:1/0"))
    assert samples == {("cxloop_broker_up", ()): 0}


@pytest.mark.parametrize(
    ("status", "webhook", "reason"),
    [
        (422, False, "invalid"),
        (400, False, "malformed"),
        (401, False, "unauthorized"),
        (401, True, "signature"),
        (413, True, "too_large"),
        (503, False, "unavailable"),
        (418, False, "client_error"),
        (500, True, "server_error"),
    ],
)
def test_a_refusal_is_counted_under_a_reason_code(status: int, webhook: bool, reason: str) -> None:
    labels = {"source": "test-refusals", "reason": reason}
    before = REGISTRY.get_sample_value("cxloop_responses_rejected_total", labels) or 0
    metrics.response_rejected("test-refusals", status, webhook=webhook)
    assert REGISTRY.get_sample_value("cxloop_responses_rejected_total", labels) == before + 1


def test_only_committed_work_is_counted(sessions: sessionmaker[Session]) -> None:
    def decided() -> float:
        labels = {"dissatisfied": "true"}
        return REGISTRY.get_sample_value("cxloop_decisions_total", labels) or 0.0

    before = decided()
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        session.execute(text("SELECT 1"))
        metrics.after_commit(session, lambda: metrics.decided(dissatisfied=True))
        raise RuntimeError("the task fails and will be retried")
    assert decided() == before
    with transaction(sessions) as session:
        session.execute(text("SELECT 1"))
        metrics.after_commit(session, lambda: metrics.decided(dissatisfied=True))
        assert decided() == before  # not before the commit
    assert decided() == before + 1


def test_every_metric_is_named_for_rules_and_dashboards() -> None:
    names = metrics.metric_names()
    assert "cxloop_responses_accepted_total" in names
    assert "cxloop_post_to_case_seconds_bucket" in names
    assert "cxloop_queue_depth" in names
    assert all(name.startswith("cxloop_") for name in names)


def test_metrics_refuse_a_multiprocess_dir_set_after_prometheus_client_was_imported(
    tmp_path: Path,
) -> None:
    assert prometheus_client  # imported by this test module, in single-process mode
    with pytest.raises(RuntimeError, match="imported before PROMETHEUS_MULTIPROC_DIR"):
        metrics_export.use_multiprocess_dir(tmp_path / "metrics")
    assert metrics_export.MULTIPROC_ENV not in os.environ


def test_a_process_tree_starts_with_an_empty_private_directory_and_sums_its_processes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data" / "metrics" / "router@host"
    folder.mkdir(parents=True)
    (folder / "counter_4242.db").write_bytes(b"values of the previous run")
    script = f"""
import os
from pathlib import Path
from shared import metrics, metrics_export
metrics_export.use_multiprocess_dir(Path({str(folder)!r}))
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        metrics.delivery("email", "sent")
        os._exit(0)
    os.waitpid(pid, 0)
from prometheus_client import generate_latest
from shared.settings import Settings
print(generate_latest(metrics_export.registry(Settings(redis_url="redis://127.0.0.1:1/0"))).decode())
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(metrics_export.MULTIPROC_ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert 'cxloop_deliveries_total{channel="email",outcome="sent"} 2.0' in done.stdout
    assert not (folder / "counter_4242.db").exists()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_pool_threads_counting_at_the_same_moment_define_the_metrics_once(
    tmp_path: Path,
) -> None:
    script = f"""
import threading
from pathlib import Path
from shared import metrics, metrics_export
metrics_export.use_multiprocess_dir(Path({str(tmp_path / "metrics")!r}))
start, failed = threading.Barrier(16), []
def count():
    start.wait()
    try:
        metrics.delivery("slack", "sent")
    except Exception as exc:
        failed.append(repr(exc))
threads = [threading.Thread(target=count) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(failed)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(metrics_export.MULTIPROC_ENV, None)
    for _ in range(3):  # the race is a matter of timing: a few fresh processes
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"


def test_a_worker_metrics_address_is_checked() -> None:
    assert metrics_export.parse_bind("127.0.0.1:9100") == ("127.0.0.1", 9100)
    assert metrics_export.parse_bind(":9100") == ("0.0.0.0", 9100)
    assert metrics_export.parse_bind("[::1]:9100") == ("::1", 9100)
    for bad in ("9100", "host:", "host:http", "host:70000"):
        with pytest.raises(ValueError, match="CXLOOP_METRICS_BIND must be host:port"):
            metrics_export.parse_bind(bad)


def test_cxloop_up_gives_the_notifier_the_port_after_the_routers() -> None:
    from cxloop.run import _child_env

    settings = Settings(metrics_bind="127.0.0.1:9100")
    assert _child_env("router", {"A": "1"}, settings) == {"A": "1"}
    assert _child_env("notifier", {"A": "1"}, settings) == {
        "A": "1",
        "CXLOOP_METRICS_BIND": "127.0.0.1:9101",
    }
    assert _child_env("notifier", {}, Settings()) == {}
