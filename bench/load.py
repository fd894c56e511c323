"""Load benchmark: the bare-Flask ceiling, cxloop's ingest, and the loop end to end.

    .venv/bin/python -m bench.load [--duration 20] [--e2e-duration 60] [--rate 100] [--no-write]
        [--phases ceiling,ingest,e2e,curve,scale] [--curve-rates 1,50,...] [--workers 1,2,4]
        [--brokers redis,rabbitmq] [--scale-rate 500] [--scale-duration 20] [--broker redis]

Runs everything on this machine in one go, so the ratios compare like with like on a noisy host:
(a) a bare Flask app under cxloop's gunicorn settings that only pushes the body to Redis;
(b) cxloop's ingest (authenticated, validated, committed to PostgreSQL, enqueued), saturated with
wrk and then paced at half that rate for its p99; (c) responses posted at a steady rate until a
Slack stand-in has every alert, with the resident memory of every web and worker process.
`--broker rabbitmq` runs (b), (c) and the curve with the machine's RabbitMQ as Celery's broker.
PostgreSQL and Redis are the machine's (or started like the test suite does); the Redis database
(CXLOOP_TEST_REDIS_URL, default db 9) is flushed. Results go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import psutil
import psycopg
import redis

from bench import load_gen, load_loop, load_report
from shared.db import migrate
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.e2e.harness import answers, free_port, wait_until
from tests.support.processes import Process
from tests.support.services import postgres_server, rabbitmq_vhost, redis_server

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-4e8a2c6f0b9d3e7a1c5f8b2d6e0a4c9f"  # long enough for the start-up check
WEBHOOK_ENV = "CXLOOP_SLACK_WEBHOOK_BENCH_{}"
ALERTS_PER_TARGET_PER_S = load_loop.ALERTS_PER_TARGET_PER_S
WARM_UP_COUNT, WARM_UP_RATE = 20, 10.0  # (c) posts these first, and waits for their alerts
PHASES = ("ceiling", "ingest", "e2e", "curve", "scale")
ROUTES_HEAD = """\
touchpoints:
  delivery:
    description: "Delivery: couriers, parcels, late, missing or damaged deliveries, tracking"
    keywords: [courier, parcel, tracking]
  general:
    description: "Anything else"
default_touchpoint: general
"""


def routes_yaml(targets: int) -> str:
    """A routing tree sending shard N's alerts to team N's own Slack channel (webhook)."""
    receivers = "".join(
        f"  - name: team-{n}\n    slack:\n      - webhook_url_env: {WEBHOOK_ENV.format(n)}\n"
        for n in range(targets)
    )
    routes = "".join(
        f"    - matchers: ['shard = \"{n}\"']\n      receiver: team-{n}\n" for n in range(targets)
    )
    return f"{ROUTES_HEAD}receivers:\n{receivers}route:\n  receiver: team-0\n  routes:\n{routes}"


def body_template(run: str) -> str:
    """A dissatisfied response as JSON, with load_gen.ID_MARK where the unique id goes: each
    from a customer of its own, as in a survey blast."""
    return json.dumps({
        "source": "bench", "response_id": load_gen.ID_MARK,
        "submitted_at": "2026-01-15T10:30:00Z",
        "respondent": {"id": load_gen.ID_MARK, "email": f"{load_gen.ID_MARK}@example.com",
                       "name": "Ann"},
        "scores": {"nps": 2, "csat": 1},
        "comment": f"Ref {load_gen.ID_MARK}: the courier was late and the parcel arrived damaged.",
        "attributes": {"region": "north", "plan": "plus", "shard": "__SHARD__"},
    })  # fmt: skip


def fill(template: str, response_id: str, shard: int) -> bytes:
    """The request body for one response."""
    return template.replace(load_gen.ID_MARK, response_id).replace("__SHARD__", str(shard)).encode()


def start_ceiling(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """Serve bench/ceiling_app.py with the gunicorn config `cxloop serve` uses."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:services.ingest.gunicorn_conf",
             "bench.ceiling_app:create_app()"],
            env={**_base_env(), **settings.to_env()}, cwd=ROOT, stdout=out, stderr=out,
            start_new_session=True,
        )  # fmt: skip


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}


def saturate(url: str, template: str, prefix: str, duration: float) -> load_gen.Throughput:
    """Warm up briefly, then measure the highest request rate with wrk."""
    load_gen.run_wrk(url, KEY, template, prefix + "w", 2, connections=16)
    return load_gen.run_wrk(url, KEY, template, prefix, duration, connections=16)


def phase_ceiling(settings: Settings, work: Path, run: str, duration: float) -> dict:
    """(a) The bare app's requests per second."""
    proc = start_ceiling(settings, work / "ceiling.log")
    try:
        wait_until(lambda: answers(f"http://{settings.bind}/healthz"), 30, "the ceiling app")
        result = saturate(f"http://{settings.bind}", body_template(run), f"{run}-a", duration)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    redis.Redis.from_url(settings.redis_url).delete("bench:ceiling")
    return {"throughput": result}


def phase_ingest(settings: Settings, work: Path, run: str, duration: float) -> dict:
    """(b) cxloop's ingest saturated, then paced at half that rate for its latency."""
    web = Process(["serve"], settings, work / "ingest.log")
    web.start()
    sampler = None
    try:
        wait_until(lambda: answers(f"http://{settings.bind}/healthz"), 60, "cxloop ingest")
        sampler = load_gen.MemorySampler({"web": web.proc.pid})  # type: ignore[union-attr]
        with sampler.running():
            template = body_template(run)
            url = f"http://{settings.bind}"
            load_gen.run_wrk(url, KEY, template, f"{run}-bw", 2, connections=16)  # warm-up
            before = ingest_costs(web.proc.pid, settings.database_url)  # type: ignore[union-attr]
            full = load_gen.run_wrk(url, KEY, template, f"{run}-b", duration, connections=16)
            after = ingest_costs(web.proc.pid, settings.database_url)  # type: ignore[union-attr]
            half_rate = max(1.0, full.rps / 2)
            paced = load_gen.paced_post(
                f"http://{settings.bind}", KEY,
                lambda i: fill(template, f"{run}-h-{i}", 0),
                half_rate, duration,
            )  # fmt: skip
    finally:
        web.stop()
    costs = [(b - a) / max(1, full.requests) for a, b in zip(before, after, strict=True)]
    return {
        "throughput": full,
        "half_rate": half_rate,
        "half": paced,
        "memory": sampler,
        "per_request": dict(zip(("web_s", "postgres_s", "commits"), costs, strict=True)),
    }


def ingest_costs(web_pid: int, database_url: str) -> tuple[float, float, int]:
    """CPU seconds of the web's process tree and of every PostgreSQL process, and transactions
    committed in the database so far. The server is the machine's own (or the bench's): on a
    machine where others use it, its CPU counts theirs too."""
    web = load_loop.cpu_seconds({"web": web_pid}).get("web", 0.0)
    postgres = 0.0
    for proc in psutil.process_iter(["name"]):
        if (proc.info["name"] or "").startswith("postgres"):
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            postgres += times.user + times.system
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return web, postgres, int(row[0]) if row else 0


def phase_end_to_end(
    settings: Settings, work: Path, run: str, rate: float, duration: float
) -> dict:
    """(c) A steady stream of dissatisfied responses until the Slack stand-in has every alert."""
    template = body_template(run)
    pattern = re.compile(rb"BENCH-" + run.encode() + rb"-[cw]-\d+")
    targets = max(1, math.ceil(rate / ALERTS_PER_TARGET_PER_S))
    routes = work / "routes.yml"
    routes.write_text(routes_yaml(targets))
    settings = settings.with_(routes_file=routes)
    sent: dict[str, float] = {}
    warm: dict[str, float] = {}
    with ExitStack() as stack:
        clock = stack.enter_context(load_gen.alert_clock(pattern))
        env = {
            WEBHOOK_ENV.format(n): f"{clock.url}/services/T0BENCH/B{n}/benchsecret"
            for n in range(targets)
        }
        procs = {
            name: Process(args, settings, work / f"{name}.log", env)
            for name, args in (("web", ["serve"]), ("router", ["worker", "router"]),
                               ("notifier", ["worker", "notifier"]), ("beat", ["beat"]))
        }  # fmt: skip
        for name, proc in procs.items():
            stack.callback(proc.stop)
            proc.start(ready=None if name in ("web", "beat") else "ready.")
        wait_until(lambda: answers(f"http://{settings.bind}/healthz"), 60, "cxloop ingest")
        sampler = load_gen.MemorySampler({n: p.proc.pid for n, p in procs.items()})  # type: ignore[union-attr]
        with sampler.running():
            # A few responses first, each alert awaited: the cold start (every process's first
            # item, connections opened) is reported on its own, not in the steady run's p95.
            load_gen.paced_post(
                f"http://{settings.bind}", KEY,
                lambda i: fill(template, f"BENCH-{run}-w-{i}", i % targets), WARM_UP_RATE,
                WARM_UP_COUNT / WARM_UP_RATE,
                on_sent=lambda i, t: warm.__setitem__(f"BENCH-{run}-w-{i}", t),
            )  # fmt: skip
            _wait_for_alerts(clock, warm, timeout=60.0)
            paced = load_gen.paced_post(
                f"http://{settings.bind}", KEY,
                lambda i: fill(template, f"BENCH-{run}-c-{i}", i % targets),
                rate, duration, on_sent=lambda i, t: sent.__setitem__(f"BENCH-{run}-c-{i}", t),
            )  # fmt: skip
            drained = _wait_for_alerts(clock, sent, timeout=max(60.0, duration))
    stages = stage_latencies(settings.database_url, f"BENCH-{run}-c-%")

    def latencies(tokens: dict[str, float]) -> list[float]:
        return sorted(
            (clock.arrived[k] - t) * 1000 for k, t in tokens.items() if k in clock.arrived
        )

    timed = latencies(sent)
    return {
        "rate": rate, "duration": duration, "sent": len(sent), "post_errors": paced.errors,
        "alerts": len(timed), "posts": clock.posts_by_prefix.get(f"BENCH-{run}-c", 0),
        "drained": drained, "targets": targets, "latencies": timed, "warm_up": latencies(warm),
        "memory": sampler, "late_start": paced.late_start, "stages": stages,
    }  # fmt: skip


def stage_latencies(database_url: str, like: str) -> dict[str, list[float]]:
    """Sorted per-stage delays in ms from the rows' own timestamps, for the responses whose id is
    LIKE `like`: where the time went."""
    query = """
        SELECT EXTRACT(EPOCH FROM r.routed_at - r.received_at) * 1000,
               EXTRACT(EPOCH FROM d.sent_at - r.routed_at) * 1000
        FROM responses r JOIN cases c ON c.response_id = r.id JOIN deliveries d ON d.case_id = c.id
        WHERE d.sent_at IS NOT NULL AND r.external_id LIKE %s"""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(query, (like,)).fetchall()
    return {
        "stored to routed": sorted(float(row[0]) for row in rows),
        "routed to sent": sorted(float(row[1]) for row in rows),
    }


def _fill(run: str) -> Callable[[str, int], bytes]:
    template = body_template(run)
    return lambda response_id, shard: fill(template, response_id, shard)


def phase_scale(settings: Settings, work: Path, run: str, args: argparse.Namespace) -> list:
    """Saturated throughput with 1, 2, 4 worker processes per service, on each broker.

    Each measurement gets a fresh database, Redis and (on RabbitMQ) virtual host, so no backlog
    of the one before takes its workers' time.
    """
    rows: list = []
    for broker in [b for b in args.brokers.split(",") if b]:
        for count in [int(n) for n in args.workers.split(",")]:
            redis.Redis.from_url(settings.redis_url).flushdb()
            with ExitStack() as stack:
                url = stack.enter_context(rabbitmq_vhost()) if broker == "rabbitmq" else ""
                db_url = stack.enter_context(postgres_server(work / f"pg-{broker}-{count}"))
                migrate(db_url)
                rows.append(load_loop.scale_out(
                    settings.with_(database_url=db_url, broker_url=url, worker_concurrency=1),
                    work, run, count, args.scale_rate, args.scale_duration, routes_yaml,
                    WEBHOOK_ENV, _fill(run), KEY, broker,
                ))  # fmt: skip
    return rows


def _wait_for_alerts(clock: load_gen.AlertClock, tokens: dict[str, float], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(token in clock.arrived for token in tokens):
            return True
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> None:
    """Run the phases and report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds per ingest phase")
    parser.add_argument("--e2e-duration", type=float, default=60, help="seconds of steady load")
    parser.add_argument("--rate", type=float, default=100, help="end-to-end responses/s")
    parser.add_argument("--no-write", action="store_true", help="do not update the doc")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset")
    parser.add_argument("--curve-rates", default="1,50,100,200,300,400", help="responses/s")
    parser.add_argument("--curve-duration", type=float, default=15, help="seconds per rate")
    parser.add_argument("--workers", default="1,2,4", help="router and notifier processes")
    parser.add_argument("--scale-rate", type=float, default=500, help="offered responses/s")
    parser.add_argument("--scale-duration", type=float, default=20, help="seconds of load")
    parser.add_argument("--brokers", default="redis,rabbitmq", help="brokers for scale-out")
    parser.add_argument(
        "--broker", choices=("redis", "rabbitmq"), default="redis",
        help="Celery's broker in the ingest, e2e and curve phases (the ceiling pushes to Redis)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases {sorted(unknown)}; choose from {', '.join(PHASES)}")
    if {"ceiling", "ingest"} & set(phases) and not load_gen.wrk_available():
        sys.exit("the ceiling and ingest phases need wrk (Debian/Ubuntu: apt-get install wrk)")
    run = time.strftime("%H%M%S")
    with tempfile.TemporaryDirectory(prefix="cxloop-bench-") as tmp:
        work = Path(tmp)
        results = {}
        with redis_server(work / "redis") as redis_url:
            settings = Settings(
                data_dir=work / "data", redis_url=redis_url, api_keys=(KEY,),
                secret_key=Secret("bench-session-key-8f2a6d0c4e9b3f7a1d5c8e2b6f0a4d9c"),
                bind=f"127.0.0.1:{free_port()}", log_format="json",
            )  # fmt: skip
            results["load"] = os.getloadavg()
            if "ceiling" in phases:
                results["ceiling"] = phase_ceiling(settings, work, run, args.duration)
            for phase in phases:
                if phase in ("ceiling", "scale"):
                    continue
                redis.Redis.from_url(redis_url).flushdb()
                with ExitStack() as stack:
                    db_url = stack.enter_context(postgres_server(work / f"pg-{phase}"))
                    migrate(db_url)
                    phase_settings = settings.with_(database_url=db_url)
                    if args.broker == "rabbitmq":
                        vhost = stack.enter_context(rabbitmq_vhost())
                        phase_settings = phase_settings.with_(broker_url=vhost)
                    if phase == "ingest":
                        results[phase] = phase_ingest(phase_settings, work, run, args.duration)
                    elif phase == "e2e":
                        results[phase] = phase_end_to_end(
                            phase_settings, work, run, args.rate, args.e2e_duration
                        ) | {"broker": args.broker}
                    elif phase == "curve":
                        rates = [float(r) for r in args.curve_rates.split(",")]
                        results[phase] = load_loop.curve(
                            phase_settings, work, run, rates, args.curve_duration, routes_yaml,
                            WEBHOOK_ENV, _fill(run), KEY,
                        )  # fmt: skip
            if "scale" in phases:
                results["scale"] = phase_scale(settings, work, run, args)
        command = " ".join([".venv/bin/python -m bench.load", *(argv or sys.argv[1:])])
        report = load_report.Report(results, command=command)
        print(report.markdown())
        if not args.no_write:
            report.write(ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
