"""What a webhook event costs at ingest under load, beside the generic API in the same run.

wrk cannot sign requests, so a pool of keep-alive Python threads posts signed events of the
generic webhook source (HMAC-SHA256 of the body) as fast as the web takes them, then the same
responses unsigned to `POST /v1/responses`. For each it prints accepted requests/s, the CPU of the
web's processes and of PostgreSQL per request, and transactions committed per request; the last
three move far less with the machine's noise than requests/s do. The client shares the machine.

    .venv/bin/python -m bench.webhook_ingest   # --duration 8 --threads 16
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import hmac
import http.client
import itertools
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.load import KEY, body_template, fill, ingest_costs
from bench.load_gen import run_threads
from shared.db import migrate
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.e2e.harness import answers, free_port, wait_until
from tests.support.processes import Process
from tests.support.services import postgres_server, redis_server

SECRET_ENV = "CXLOOP_BENCH_WEBHOOK_SECRET"
SECRET = "bench-webhook-secret-5d1f9a3c7e2b6d0a"
SOURCES = f"sources:\n  - {{name: bench, type: generic, secrets_env: [{SECRET_ENV}]}}\n"


Headers = Callable[[bytes], dict[str, str]]


def post_for(
    netloc: str, path: str, headers: Headers, body: Callable[[int], bytes], threads: int,
    duration: float,
) -> tuple[int, int]:  # fmt: skip
    """Post from `threads` keep-alive connections for `duration` s; return (accepted, failed)."""
    counter, lock = iter(range(10**9)), threading.Lock()
    counts = [0, 0]
    stop = time.monotonic() + duration

    def worker() -> None:
        conn = http.client.HTTPConnection(netloc, timeout=30)
        while time.monotonic() < stop:
            with lock:
                data = body(next(counter))
            conn.request("POST", path, data, headers(data))
            response = conn.getresponse()
            response.read()
            with lock:
                counts[response.status not in (200, 202)] += 1
        conn.close()

    run_threads(worker, threads)
    return counts[0], counts[1]


def unique_bodies(template: str, prefix: str) -> Callable[[int], bytes]:
    """Request bodies, each a response with an id never posted before (the warm-up's included)."""
    run, numbers = time.monotonic_ns(), itertools.count()
    return lambda _: fill(template, f"{prefix}{run}-{next(numbers)}", 0)


def signed(data: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Cxloop-Signature": digest}


def api_key(_: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}


def measure(
    web_pid: int, database_url: str, run: Callable[[float], tuple[int, int]], duration: float
) -> dict[str, float]:
    run(2)  # warm-up
    before = ingest_costs(web_pid, database_url)
    started = time.monotonic()
    accepted, failed = run(duration)
    elapsed = time.monotonic() - started
    after = ingest_costs(web_pid, database_url)
    web, postgres, commits = (
        (b - a) / max(1, accepted) for a, b in zip(before, after, strict=True)
    )
    return {
        "rps": accepted / elapsed, "failed": failed,
        "web_ms": web * 1000, "postgres_ms": postgres * 1000, "commits": commits,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=8, help="seconds per path")
    parser.add_argument("--threads", type=int, default=16, help="client connections")
    args = parser.parse_args(argv)
    template = body_template("hook")
    with tempfile.TemporaryDirectory(prefix="cxloop-webhook-bench-") as tmp:
        work = Path(tmp)
        sources = work / "sources.yml"
        sources.write_text(SOURCES)
        with redis_server(work / "redis") as redis_url, postgres_server(work / "pg") as db_url:
            migrate(db_url)
            settings = Settings(
                data_dir=work / "data", redis_url=redis_url, database_url=db_url, api_keys=(KEY,),
                secret_key=Secret("bench-session-key-8f2a6d0c4e9b3f7a1d5c8e2b6f0a4d9c"),
                bind=f"127.0.0.1:{free_port()}", log_format="json", sources_file=sources,
            )  # fmt: skip
            web = Process(["serve"], settings, work / "web.log", env={SECRET_ENV: SECRET}).start()
            try:
                wait_until(lambda: answers(f"http://{settings.bind}/healthz"), 60, "cxloop ingest")
                pid = web.proc.pid  # type: ignore[union-attr]
                paths = {
                    "webhook": ("/v1/webhooks/bench", signed, "w"),
                    "generic API": ("/v1/responses", api_key, "g"),
                }
                print(f"{'path':12} {'req/s':>7} {'failed':>6} {'web ms':>7} {'PG ms':>6} tx/req")
                for name, (path, headers, prefix) in paths.items():
                    run = functools.partial(
                        post_for, settings.bind, path, headers, unique_bodies(template, prefix),
                        args.threads,
                    )  # fmt: skip
                    figures = measure(pid, db_url, run, args.duration)
                    print(
                        f"{name:12} {figures['rps']:7.0f} {figures['failed']:6.0f} "
                        f"{figures['web_ms']:7.2f} {figures['postgres_ms']:6.2f} "
                        f"{figures['commits']:6.2f}"
                    )
            finally:
                web.stop()


if __name__ == "__main__":
    main()
