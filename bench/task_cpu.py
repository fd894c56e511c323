"""CPU per routed response and per delivery, measured in process: a figure that load elsewhere on
the machine barely moves, unlike the latencies of bench/load.py.

    .venv/bin/python -m bench.task_cpu [--responses 300] [--profile router|notifier]

Stores dissatisfied responses like ingest does, runs the router's task on each in this process
(`Task.apply`: the task body, its transaction and the publish of its notifier tasks, not the
worker's receive and acknowledgement), then the notifier's task on each delivery against a Slack
stand-in. Prints CPU ms per item (time.process_time, so PostgreSQL's own CPU is not in it) and,
with --profile, the top of a cProfile of one stage. Fresh PostgreSQL database and private Redis.
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
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bench import load_gen
from bench.load import WEBHOOK_ENV, routes_yaml
from services.ingest.service import insert_response, load_storable
from services.router.worker import create_worker_app as router_app
from shared import task_names
from shared.db import migrate
from shared.models import Delivery
from shared.runtime import runtime
from shared.settings import Settings
from tests.support.services import postgres_server, redis_server

TARGETS = 50


def response(n: int) -> dict[str, object]:
    """A dissatisfied response for shard n (one Slack channel per shard)."""
    return {
        "source": "bench", "response_id": f"BENCH-cpu-r-{n}",
        "submitted_at": "2026-01-15T10:30:00Z",
        "respondent": {"id": f"c-{n}", "email": "ann@example.com", "name": "Ann"},
        "scores": {"nps": 2, "csat": 1},
        "comment": f"Ref BENCH-cpu-r-{n}: the courier was late and the parcel arrived damaged.",
        "attributes": {"region": "north", "plan": "plus", "shard": str(n % TARGETS)},
    }  # fmt: skip


def cpu_ms_per_item(run: Callable[[int], object], items: list[int], profile: bool) -> float:
    """Run each item once (after two warm-ups); CPU ms per item, printing a profile if asked."""
    for item in items[:2]:
        run(item)
    rest = items[2:]
    profiler = cProfile.Profile(time.process_time) if profile else None
    start = time.process_time()
    if profiler:
        profiler.enable()
    for item in rest:
        run(item)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return (time.process_time() - start) * 1000 / max(1, len(rest))


def main() -> None:
    """Store, route, deliver; print CPU ms per item for each stage."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=300)
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
            app.loader.import_default_modules()
            import services.notifier.tasks  # noqa: F401  (its shared tasks join the app)

            app.set_current()
            router = app.tasks[task_names.PROCESS_RESPONSE]
            routed = cpu_ms_per_item(
                lambda i: router.apply(args=[i]), ids, args.profile == "router"
            )
            with sessions() as session:
                deliveries = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
            notifier = app.tasks[task_names.DELIVER]
            delivered = cpu_ms_per_item(
                lambda i: notifier.apply(args=[i]), deliveries, args.profile == "notifier"
            )
            arrived = len(clock.arrived)
            runtime(settings).engine.dispose()
    print(f"router:   {routed:.2f} CPU ms per response ({len(ids)} responses)")
    print(f"notifier: {delivered:.2f} CPU ms per delivery ({len(deliveries)} deliveries, "
          f"{arrived} alerts received)")  # fmt: skip


if __name__ == "__main__":
    main()
