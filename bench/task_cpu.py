"""CPU per routed response and per delivery, measured in process: a figure that load elsewhere on
the machine barely moves, unlike the latencies of bench/load.py.

    .venv/bin/python -m bench.task_cpu [--responses 300] [--batch 20] [--profile router|notifier]

Stores dissatisfied responses like ingest does, runs the router's task on each in this process
(the task body, its transaction and the publish of its notifier tasks, not the worker's receive
and acknowledgement), then the notifier's task on the deliveries against a Slack stand-in.
`--batch N` hands each task N items per run, as their workers do when messages wait
(`router_batch_size`, `notifier_batch_size`). Prints CPU ms per item (time.process_time, so
PostgreSQL's own CPU is not in it) and, with --profile, the top of a cProfile of one stage.
Fresh PostgreSQL database and private Redis.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, event, select

from bench import load_gen
from bench.load import WEBHOOK_ENV, routes_yaml
from cxloop.router_worker import create_worker_app as router_app
from services.ingest.service import insert_response, load_storable
from shared import task_names
from shared.db import migrate
from shared.models import Delivery
from shared.runtime import runtime
from shared.settings import Settings
from tests.support.batches import routing_batch, task_batch
from tests.support.services import postgres_server, redis_server

TARGETS = 400  # more channels than deliveries: no send waits for a rate limit
T = TypeVar("T")


def response(n: int) -> dict[str, object]:
    """A dissatisfied response for shard n (one Slack channel per shard)."""
    return {
        "source": "bench", "response_id": f"BENCH-cpu-r-{n}",
        "submitted_at": "2026-01-15T10:30:00Z",
        "respondent": {"id": f"c-{n}", "email": f"c-{n}@example.com", "name": "Ann"},
        "scores": {"nps": 2, "csat": 1},
        "comment": f"Ref BENCH-cpu-r-{n}: the courier was late and the parcel arrived damaged.",
        "attributes": {"region": "north", "plan": "plus", "shard": str(n % TARGETS)},
    }  # fmt: skip


@dataclass(frozen=True)
class Cost:
    """What one item cost: CPU ms (noisy on a busy machine), and two counts load cannot move."""

    cpu_ms: float
    calls: float  # Python function calls (cProfile), a proxy for CPU that does not vary
    statements: float  # SQL statements sent to the database

    def __str__(self) -> str:
        return f"{self.cpu_ms:.2f} CPU ms, {self.calls:,.0f} calls, {self.statements:.1f} SQL"

    def per(self, size: int) -> Cost:
        """The cost of one of `size` items run together."""
        return Cost(self.cpu_ms / size, self.calls / size, self.statements / size)


def cost_per_item(run: Callable[[T], object], items: list[T], engine: Engine, show: bool) -> Cost:
    """Run the items once each (two warm-ups first): the first half timed, the second profiled."""
    for item in items[:2]:
        run(item)
    timed, profiled = items[2 : len(items) // 2], items[len(items) // 2 :]
    start = time.process_time()
    for item in timed:
        run(item)
    cpu_ms = (time.process_time() - start) * 1000 / max(1, len(timed))
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for item in profiled:
        run(item)
    profiler.disable()
    event.remove(engine, "before_cursor_execute", count)
    stats = pstats.Stats(profiler)
    if os.environ.get("PROFILE_FILE") and show:
        stats.dump_stats(os.environ["PROFILE_FILE"])
    if show:
        stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
    n = max(1, len(profiled))
    return Cost(cpu_ms, stats.total_calls / n, statements[0] / n)  # type: ignore[attr-defined]


def main() -> None:
    """Store, route, deliver; print CPU ms per item for each stage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1, help="responses per router run")
    parser.add_argument("--profile", choices=("router", "notifier"), default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxloop-cpu-") as tmp:
        work = Path(tmp)
        routes = work / "routes.yml"
        routes.write_text(routes_yaml(TARGETS))
        pattern = re.compile(rb"BENCH-cpu-r-\d+")
        with (
            redis_server(work / "redis") as redis_url,
            postgres_server(work / "pg") as db_url,
            load_gen.alert_clock(pattern) as clock,
        ):
            migrate(db_url)
            webhooks = {
                WEBHOOK_ENV.format(n): f"{clock.url}/services/T0/B{n}/x" for n in range(TARGETS)
            }
            os.environ.update(webhooks)
            settings = Settings(
                data_dir=work / "data", redis_url=redis_url, database_url=db_url,
                routes_file=routes, log_format="json", slack_webhooks=webhooks,
            )  # fmt: skip
            sessions = runtime(settings).sessions
            ids = []
            with sessions.begin() as session:
                for n in range(args.responses):
                    stored = insert_response(
                        session.connection(), data=load_storable(response(n)), raw=response(n),
                        enqueued_at=datetime.now(UTC),
                    )  # fmt: skip
                    ids.append(stored.id)
            app = router_app(settings)
            import services.notifier.tasks  # noqa: F401  (its shared tasks join the app)

            app.set_current()
            router = app.tasks[task_names.PROCESS_RESPONSE]
            engine = runtime(settings).engine
            size = max(1, args.batch)
            batches = [ids[i : i + size] for i in range(0, len(ids), size)]
            routed = cost_per_item(
                lambda batch: router(routing_batch(batch, hostname="bench")),
                batches, engine, args.profile == "router",
            ).per(size)  # fmt: skip
            with sessions() as session:
                deliveries = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
            notifier = app.tasks[task_names.DELIVER]
            sends = [deliveries[i : i + size] for i in range(0, len(deliveries), size)]
            delivered = cost_per_item(
                lambda batch: notifier(task_batch(task_names.DELIVER, batch, hostname="bench")),
                sends, engine, args.profile == "notifier",
            ).per(size)  # fmt: skip
            arrived = len(clock.arrived)
            runtime(settings).engine.dispose()
    print(f"router, per response ({len(ids)}, {size} per run): {routed}")
    print(f"notifier, per delivery ({len(deliveries)}, {size} per run, {arrived} alerts received): "
          f"{delivered}")  # fmt: skip


if __name__ == "__main__":
    main()
