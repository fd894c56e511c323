"""Metrics on the production shape: real POSTs to gunicorn (two workers), real router and notifier
workers with their own exporters; the counters, histograms and queue depths move by what was done.
"""

from __future__ import annotations

import json
import shutil
import socket
import stat
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cxloop.run import PROCESS_ARGS
from shared.settings import Settings
from tests.e2e.conftest import KEY
from tests.e2e.harness import System, dissatisfied, free_port, http, running, wait_until
from tests.support.processes import Process
from tests.support.slack_standin import Answer, SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

METRICS_KEY = "metrics-scraper-key-5d1e8a3c9f2b7e4a6c0d"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def read_samples(text: str) -> Samples:
    """Every sample of a scrape, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels` (0 if none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def scrape(url: str, key: str | None = None) -> str:
    """GET a metrics endpoint and return its text."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return resp.read().decode()


def start_worker(system: System, name: str, port: int, env: dict[str, str]) -> None:
    """Start a worker serving its metrics on `port` (each process gets its own)."""
    system.processes[name] = Process(
        list(PROCESS_ARGS[name]), system.settings, system.log_dir / f"{name}.log",
        env | {"CXLOOP_METRICS_BIND": f"127.0.0.1:{port}"},
    )  # fmt: skip
    system.start(name)


def test_counters_histograms_and_queue_depths_move_after_real_posts(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str],
    smtp: SMTPRecorder, slack: SlackStandin,
) -> None:  # fmt: skip
    settings = loop_settings.with_(
        web_workers=2,
        log_format="json",
        api_keys=(*loop_settings.api_keys, f"metrics-read:{METRICS_KEY}"),
    )
    ports = {"router": free_port(), "notifier": free_port()}
    with running(settings, tmp_path, env=loop_env) as system:
        system.start("ingest")
        ingest_url = system.base_url + "/metrics"
        before: dict[str, Samples] = {"ingest": read_samples(scrape(ingest_url, METRICS_KEY))}
        start_worker(system, "notifier", ports["notifier"], loop_env)
        before["notifier"] = read_samples(scrape(f"http://127.0.0.1:{ports['notifier']}/"))

        unhappy = dissatisfied("metrics-1")
        happy = dissatisfied("metrics-2", comment="Quick and friendly, thanks!", scores={"nps": 10})
        for body in (unhappy, happy):
            assert http("POST", system.base_url + "/v1/responses", body, KEY)[0] == 202
        assert http("POST", system.base_url + "/v1/responses", unhappy, KEY)[0] == 202  # repeat
        assert http("POST", system.base_url + "/v1/responses", {"source": "x"}, KEY)[0] == 422
        assert http("POST", system.base_url + "/v1/responses", happy)[0] == 401

        def ingest_now() -> Samples:
            return read_samples(scrape(ingest_url, METRICS_KEY))

        # No router runs yet: both new responses wait in its queue, as the broker counts them.
        wait_until(
            lambda: value(ingest_now(), "cxloop_queue_depth", queue="router") == 2, 20,
            "the router queue to hold the two new responses",
        )  # fmt: skip
        moved = delta(before["ingest"], ingest_now())
        assert moved("cxloop_responses_accepted_total", source="api", outcome="created") == 2
        assert moved("cxloop_responses_accepted_total", source="api", outcome="duplicate") == 1
        assert moved("cxloop_responses_rejected_total", source="api", reason="invalid") == 1
        assert moved("cxloop_responses_rejected_total", source="api", reason="unauthorized") == 1
        # Any of the two gunicorn workers answers with the sum of both.
        totals = {
            value(ingest_now(), "cxloop_responses_accepted_total", outcome="created")
            for _ in range(6)
        }
        assert len(totals) == 1

        slack.answer_next(1, Answer(503, "busy"))  # the Slack alert is retried once
        start_worker(system, "router", ports["router"], loop_env)
        router_url, notifier_url = (f"http://127.0.0.1:{ports[n]}/" for n in ("router", "notifier"))

        def notifier_moved() -> Callable[..., float]:
            return delta(before["notifier"], read_samples(scrape(notifier_url)))

        wait_until(
            lambda: notifier_moved()("cxloop_deliveries_total", outcome="sent") == 2, 60,
            "the email and the Slack alert to be counted as sent",
        )  # fmt: skip
        assert smtp.messages and slack.posts
        router = read_samples(scrape(router_url))
        assert value(router, "cxloop_decisions_total", dissatisfied="true") == 1
        assert value(router, "cxloop_decisions_total", dissatisfied="false") == 1
        assert value(router, "cxloop_cases_opened_total", touchpoint="delivery") == 1
        assert value(router, "cxloop_cases_opened_total") == 1
        assert value(router, "cxloop_post_to_case_seconds_count") == 1
        assert value(router, "cxloop_post_to_case_seconds_bucket", le="+Inf") == 1
        assert value(router, "cxloop_queue_depth", queue="router") == 0

        notifier = notifier_moved()
        assert notifier("cxloop_deliveries_total", channel="email", outcome="sent") == 1
        assert notifier("cxloop_deliveries_total", channel="slack", outcome="sent") == 1
        assert notifier("cxloop_deliveries_total", channel="slack", outcome="retry") == 1
        assert notifier("cxloop_deliveries_total", outcome="failed") == 0
        assert notifier("cxloop_task_retries_total", task="notifier.deliver") == 1
        assert notifier("cxloop_case_to_alert_seconds_count", channel="email") == 1
        assert notifier("cxloop_case_to_alert_seconds_count", channel="slack") == 1

        ingest_dir = next((settings.data_dir / "metrics").glob("ingest-*"))
        assert stat.S_IMODE(ingest_dir.stat().st_mode) == 0o700
        assert len(list(ingest_dir.glob("counter_*.db"))) >= 1
        if shutil.which("promtool"):
            for text in (scrape(ingest_url, METRICS_KEY), scrape(router_url)):
                lint = subprocess.run(
                    ["promtool", "check", "metrics"], input=text, text=True, capture_output=True
                )
                assert lint.returncode == 0, lint.stdout + lint.stderr
        ingest_log = system.processes["ingest"].output()

    access = [json.loads(line) for line in ingest_log.splitlines() if '"gunicorn.access"' in line]
    (post,) = [a for a in access if a["path"] == "/v1/responses" and a["status"] == 422]
    assert post["method"] == "POST" and post["process"] == "ingest" and post["request_id"]
    assert isinstance(post["duration_ms"], float) and post["level"] == "INFO"
    for line in filter(None, ingest_log.splitlines()):
        json.loads(line)  # gunicorn's own lines too: every line of the ingest process is JSON


def test_a_worker_whose_metrics_port_is_taken_refuses_to_start(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bind = f"127.0.0.1:{taken.getsockname()[1]}"
        settings = Settings(
            data_dir=tmp_path / "data", database_url=sqlite_url, redis_url=redis_url,
            metrics_bind=bind, allow_outbox=True,
        )  # fmt: skip
        worker = Process(["worker", "notifier"], settings, tmp_path / "notifier.log").start()
        assert worker.proc is not None
        assert worker.proc.wait(timeout=60) == 1
    assert f"cannot serve metrics on {bind}" in worker.output()


def delta(before: Samples, after: Samples) -> Callable[..., float]:
    """How much a sample moved between two scrapes (labels as in `value`)."""
    return lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)
