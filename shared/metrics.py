"""Prometheus metrics of every cxloop process: each metric defined once here, labels bounded.

Labels only take values from a small known set (a configured source or touchpoint, a priority,
a channel, an outcome or reason code), never customer text or ids, so the number of series
stays bounded whatever the traffic.

prometheus_client chooses its multiprocess mode when it is first imported, so this module
imports it only inside functions: `metrics_export.use_multiprocess_dir` must run before the first
metric is touched.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.metrics_export import mark_dead

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

# Seconds: from a few hundred milliseconds (healthy) to an hour (a backlog or an outage).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# HTTP status of a refused ingest request -> the `reason` label.
REJECTION_REASONS = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    503: "unavailable",
}


@dataclass(frozen=True)
class _Metrics:
    responses_accepted: Counter
    responses_rejected: Counter
    decisions: Counter
    cases_opened: Counter
    post_to_case: Histogram
    deliveries: Counter
    digests: Counter
    case_to_alert: Histogram
    task_retries: Counter
    task_failures: Counter
    sla_breached: Gauge
    sla_escalations: Counter


_DEFINING = threading.Lock()


def _metrics() -> _Metrics:
    """The process's metrics, defined once even when pool threads ask at the same moment
    (functools.cache alone would let two threads register them twice)."""
    with _DEFINING:
        return _define()


@functools.cache
def _define() -> _Metrics:
    from prometheus_client import Counter, Gauge, Histogram

    return _Metrics(
        responses_accepted=Counter(
            "cxloop_responses_accepted", "Survey responses stored or recognised by ingest.",
            ["source", "outcome"],
        ),
        responses_rejected=Counter(
            "cxloop_responses_rejected", "Ingest requests refused, by reason.",
            ["source", "reason"],
        ),
        decisions=Counter(
            "cxloop_decisions", "Responses the router decided on.", ["dissatisfied"]
        ),
        cases_opened=Counter(
            "cxloop_cases_opened", "Cases opened (imported history not counted).",
            ["touchpoint", "priority"],
        ),
        post_to_case=Histogram(
            "cxloop_post_to_case_seconds", "From a response's arrival to its case being opened.",
            ["priority"], buckets=LATENCY_BUCKETS,
        ),
        deliveries=Counter(
            "cxloop_deliveries", "Delivery attempts by channel and what came of them.",
            ["channel", "outcome"],
        ),
        digests=Counter(
            "cxloop_digests", "Digest send attempts by channel and what came of them.",
            ["channel", "outcome"],
        ),
        case_to_alert=Histogram(
            "cxloop_case_to_alert_seconds", "From a case being opened to its first alert sent.",
            ["channel"], buckets=LATENCY_BUCKETS,
        ),
        task_retries=Counter("cxloop_task_retries", "Celery task retries.", ["task"]),
        task_failures=Counter("cxloop_task_failures", "Celery tasks that raised.", ["task"]),
        sla_breached=Gauge(
            "cxloop_sla_breached_cases", "Open cases past a deadline, at the last SLA check.",
            ["deadline"], multiprocess_mode="mostrecent",
        ),
        sla_escalations=Counter(
            "cxloop_sla_escalations", "SLA escalation steps taken.", ["deadline"]
        ),
    )  # fmt: skip


def metric_names() -> frozenset[str]:
    """Every sample name cxloop exports (rules and dashboards may use no other cxloop_ name)."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    names = {"cxloop_queue_depth", "cxloop_broker_up", "cxloop_broker_unacked"}
    for f in fields(_Metrics):
        for family in getattr(_metrics(), f.name).describe():
            names |= {family.name + suffix for suffix in suffixes[family.type]}
    return frozenset(names)


# Recording: one function per event, so call sites read as what happened.


def response_accepted(source: str, outcome: str) -> None:
    """One response stored or recognised (outcome: created, duplicate, updated...)."""
    _metrics().responses_accepted.labels(source, outcome).inc()


def expect_responses(sources: Iterable[str]) -> None:
    """Export accepted-response counters at 0, so `increase()` sees their first response."""
    for source in sources:
        _metrics().responses_accepted.labels(source, "created")


def response_rejected(source: str, status: int, *, webhook: bool = False) -> None:
    """One ingest request refused with an HTTP status >= 400."""
    if webhook and status == 401:
        reason = "signature"
    elif status in REJECTION_REASONS:
        reason = REJECTION_REASONS[status]
    else:
        reason = "server_error" if status >= 500 else "client_error"
    _metrics().responses_rejected.labels(source, reason).inc()


def decided(*, dissatisfied: bool) -> None:
    """The router decided whether a response is a case."""
    _metrics().decisions.labels(str(dissatisfied).lower()).inc()


def case_opened(*, touchpoint: str, priority: str, seconds_since_received: float) -> None:
    """A case was opened for a response that arrived this many seconds ago."""
    m = _metrics()
    m.cases_opened.labels(touchpoint, priority).inc()
    m.post_to_case.labels(priority).observe(max(0.0, seconds_since_received))


def delivery(channel: str, outcome: str) -> None:
    """One delivery attempt ended (outcome: sent, retry, failed, held, rate_limited)."""
    _metrics().deliveries.labels(channel, outcome).inc()


def digest(channel: str, outcome: str) -> None:
    """One digest send attempt ended (outcome: sent, retry, failed)."""
    _metrics().digests.labels(channel, outcome).inc()


def first_alert(channel: str, seconds_since_case: float) -> None:
    """The first alert of a new case went out this many seconds after the case was opened."""
    _metrics().case_to_alert.labels(channel).observe(max(0.0, seconds_since_case))


def sla_breached(counts: Mapping[str, int]) -> None:
    """How many open cases are past each deadline (acknowledge, resolve) right now."""
    for deadline, count in counts.items():
        _metrics().sla_breached.labels(deadline).set(count)


def sla_escalated(deadline: str) -> None:
    """One escalation step was taken for a case past its `deadline`."""
    _metrics().sla_escalations.labels(deadline).inc()


def after_commit(session: Session, record: Callable[[], None]) -> None:
    """Record once the session's transaction commits: a rolled-back, retried task counts once."""
    _listen()
    session.info.setdefault(_PENDING, []).append(record)


_PENDING = "cxloop.metrics"


def _listen() -> None:
    with _DEFINING:
        _listen_once()


@functools.cache
def _listen_once() -> None:
    event.listen(Session, "after_commit", _run_pending)
    event.listen(Session, "after_rollback", lambda session: session.info.pop(_PENDING, None))


def _run_pending(session: Session) -> None:
    for record in session.info.pop(_PENDING, ()):
        record()


# Celery: retries and failures of every task, counted in the pool process that ran it.


def instrument_celery() -> None:
    """Count task retries and failures, and forget a pool process's live values when it exits."""
    from celery import signals

    signals.task_retry.connect(_on_retry, weak=False)
    signals.task_failure.connect(_on_failure, weak=False)
    signals.worker_process_shutdown.connect(lambda **_: mark_dead(os.getpid()), weak=False)


def _on_retry(sender: Any = None, request: Any = None, **_: Any) -> None:
    name = getattr(request, "task", None) or getattr(sender, "name", "unknown")
    task_retried(str(name))


def task_retried(name: str) -> None:
    """A task's item was sent again to run later (a batch task retries its items this way)."""
    _metrics().task_retries.labels(name).inc()


def _on_failure(sender: Any = None, **_: Any) -> None:
    _metrics().task_failures.labels(str(getattr(sender, "name", "unknown"))).inc()
