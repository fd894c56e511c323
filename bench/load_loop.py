"""The loop under load for bench/load.py: latency against offered load, and scale-out.

Both run the real processes (`cxloop serve`, `worker router`, `worker notifier`, `beat`) against
the Slack stand-in of load_gen. The offered-load curve posts at each rate in turn to one running
system and times every alert from its POST. The scale-out phase starts 1, 2 and 4 router and
notifier worker processes, each its own `cxloop worker` process as separate machines would run
them, offers more than the loop can take, and counts alerts per second from the first POST to the
last alert; on Redis and on RabbitMQ as the broker.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench import load_gen
from shared.settings import Settings
from tests.e2e.harness import answers, wait_until
from tests.support.processes import Process

# The notifier keeps to Slack's limit of about one message per second per channel, so the load is
# spread over many channels (teams), each getting at most one alert every 2 s.
ALERTS_PER_TARGET_PER_S = 0.5


@dataclass
class Loop:
    """A running system: its processes, the Slack stand-in and who was sent what when."""

    settings: Settings
    clock: load_gen.AlertClock
    targets: int
    procs: dict[str, Process]
    sent: dict[str, float] = field(default_factory=dict)

    def pids(self) -> dict[str, int]:
        """Root pid per process name, for the memory sampler."""
        return {name: p.proc.pid for name, p in self.procs.items() if p.proc is not None}


def targets_for(rate: float) -> int:
    """How many Slack channels keep `rate` alerts per second under Slack's per-channel limit."""
    return max(1, math.ceil(rate / ALERTS_PER_TARGET_PER_S))


@contextmanager
def loop_system(
    settings: Settings, work: Path, run: str, targets: int, routes_yaml: Callable[[int], str],
    webhook_env: str, *, routers: int = 1, notifiers: int = 1,
) -> Iterator[Loop]:  # fmt: skip
    """Start web, beat and the given numbers of router and notifier worker processes."""
    routes = work / f"routes-{targets}.yml"
    routes.write_text(routes_yaml(targets))
    settings = settings.with_(routes_file=routes)
    pattern = re.compile(rb"BENCH-" + run.encode() + rb"-[a-z0-9]+-\d+")
    with ExitStack() as stack:
        clock = stack.enter_context(load_gen.alert_clock(pattern))
        env = {
            webhook_env.format(n): f"{clock.url}/services/T0BENCH/B{n}/benchsecret"
            for n in range(targets)
        }
        specs = [("web", ["serve"]), ("beat", ["beat"])]
        specs += [(f"router-{i}", ["worker", "router"]) for i in range(routers)]
        specs += [(f"notifier-{i}", ["worker", "notifier"]) for i in range(notifiers)]
        procs = {n: Process(args, settings, work / f"{run}-{n}.log", env) for n, args in specs}
        for name, proc in procs.items():
            stack.callback(proc.stop)
            proc.start(ready="ready." if "-" in name else None)
        wait_until(lambda: answers(f"http://{settings.bind}/healthz"), 60, "cxloop ingest")
        yield Loop(settings, clock, targets, procs)


@dataclass(frozen=True)
class Offered:
    """One rate offered to the loop: what was posted and when each alert arrived."""

    rate: float
    duration: float
    sent: int
    post_errors: int
    alerts: int
    posts: int
    latencies: list[float]
    span_s: float  # first POST to last alert
    posted_rate: float  # what the sender and ingest managed
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per response, by process kind

    @property
    def throughput(self) -> float:
        """Alerts per second from the first POST to the last alert."""
        return self.alerts / self.span_s if self.span_s > 0 else math.nan


def offer(
    loop: Loop, label: str, run: str, rate: float, duration: float, drain_s: float,
    fill: Callable[[str, int], bytes], key: str, threads: int = 32,
) -> Offered:  # fmt: skip
    """Post `rate` responses per second for `duration` s, then wait up to `drain_s` for alerts."""
    prefix = f"BENCH-{run}-{label}"
    sent: dict[str, float] = {}
    cpu_before = cpu_seconds(loop.pids())
    paced = load_gen.paced_post(
        f"http://{loop.settings.bind}", key,
        lambda i: fill(f"{prefix}-{i}", i % loop.targets), rate, duration, threads=threads,
        on_sent=lambda i, t: sent.__setitem__(f"{prefix}-{i}", t),
    )  # fmt: skip
    deadline = time.monotonic() + drain_s
    while time.monotonic() < deadline and not all(t in loop.clock.arrived for t in sent):
        time.sleep(0.2)
    arrived = {t: loop.clock.arrived[t] for t in sent if t in loop.clock.arrived}
    cpu_after = cpu_seconds(loop.pids())
    cpu_ms = {
        kind: (cpu_after[kind] - cpu_before.get(kind, 0.0)) * 1000 / max(1, len(arrived))
        for kind in cpu_after
    }
    first = min(sent.values(), default=0.0)
    last = max(arrived.values(), default=first)
    posted = (max(paced.done) - min(paced.sent)) if paced.sent else 0.0
    return Offered(
        rate=rate, duration=duration, sent=len(sent), post_errors=paced.errors,
        alerts=len(arrived), posts=_posts_for(loop.clock, prefix),
        latencies=sorted((arrived[t] - sent[t]) * 1000 for t in arrived),
        span_s=last - first, posted_rate=len(sent) / posted if posted > 0 else math.nan,
        cpu_ms=cpu_ms,
    )  # fmt: skip


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) of each process tree, summed by kind (router-1 is a router).

    This is what the loop's own processes spent, whatever else the machine runs; PostgreSQL's
    backends are not in it (the server may be shared).
    """
    total: dict[str, float] = {}
    for name, pid in pids.items():
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            kind = name.split("-")[0]
            total[kind] = total.get(kind, 0.0) + times.user + times.system
    return total


def _posts_for(clock: load_gen.AlertClock, prefix: str) -> int:
    """Posts whose token has this prefix (the clock counts every post; duplicates show here)."""
    return clock.posts_by_prefix.get(prefix, 0)


def curve(
    settings: Settings, work: Path, run: str, rates: list[float], duration: float,
    routes_yaml: Callable[[int], str], webhook_env: str, fill: Callable[[str, int], bytes],
    key: str,
) -> dict[str, Any]:  # fmt: skip
    """Latency against offered load: each rate in turn on one system with the default workers."""
    points = []
    with loop_system(
        settings, work, f"{run}", targets_for(max(rates)), routes_yaml, webhook_env
    ) as loop:
        sampler = load_gen.MemorySampler(loop.pids())
        with sampler.running():
            for n, rate in enumerate(rates):
                points.append(
                    offer(loop, f"k{n}", run, rate, duration, max(60.0, duration * 3), fill, key)
                )
    return {"points": points, "memory": sampler, "load": os.getloadavg()}


def scale_out(
    settings: Settings, work: Path, run: str, count: int, rate: float, duration: float,
    routes_yaml: Callable[[int], str], webhook_env: str, fill: Callable[[str, int], bytes],
    key: str, broker: str,
) -> dict[str, Any]:  # fmt: skip
    """Saturated throughput with `count` router and `count` notifier worker processes.

    Alerts per second from the first POST to the last alert that arrived within the drain time:
    a loop that cannot keep up is measured at the rate it does deliver.
    """
    label = f"s{broker[:1]}{count}"
    with loop_system(
        settings, work, run, targets_for(rate), routes_yaml, webhook_env,
        routers=count, notifiers=count,
    ) as loop:  # fmt: skip
        sampler = load_gen.MemorySampler(loop.pids())
        load_before = os.getloadavg()[0]
        with sampler.running():
            result = offer(loop, label, run, rate, duration, max(60.0, duration * 4), fill, key)
    return {
        "broker": broker, "workers": count, "result": result, "memory": sampler,
        "load": load_before,
    }  # fmt: skip
