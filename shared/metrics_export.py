"""Getting cxloop's metrics out: multiprocess files, the broker's queue depths, scrapes, endpoints.

gunicorn and Celery's prefork pool run several processes; prometheus_client's multiprocess mode
keeps each process's values in files under one directory, and a scrape sums them. The library
chooses that mode when it is first imported, so this module imports it only inside functions:
`use_multiprocess_dir` must run before the first metric is touched.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis

from shared import task_names
from shared.private import DIR_MODE, private_dir
from shared.settings import Settings

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import Metric

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
QUEUES = (task_names.ROUTER_QUEUE, task_names.NOTIFIER_QUEUE, task_names.INCIDENTS_QUEUE)
# Kombu's Redis transport keeps a queue's messages of priority n > 0 in "<queue>\x06\x16<n>".
_PRIORITY_LISTS = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_UNACKED = "unacked"  # kombu's hash of messages handed to workers and not yet acknowledged

# Multiprocess mode: one private directory per process tree, emptied when the tree starts.


def multiprocess_dir(settings: Settings, name: str) -> Path:
    """Where a process tree keeps its values: PROMETHEUS_MULTIPROC_DIR, else under the data dir.

    Named after the process and the host, as Celery names its nodes: two trees on one host with
    the same name would already clash there, and a data volume shared by containers keeps theirs
    apart.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        return Path(given)
    return (settings.data_dir / "metrics" / f"{name}@{socket.gethostname()}").resolve()


def use_multiprocess_dir(path: Path) -> Path:
    """Empty the directory (0700) of a starting process tree and point prometheus_client at it.

    Values of a previous run would otherwise be added to this run's. Must run before anything
    imports prometheus_client in this process, or its processes would count apart.
    """
    values = sys.modules.get("prometheus_client.values")
    if values is not None and not getattr(values.ValueClass, "_multiprocess", False):
        raise RuntimeError(f"prometheus_client was imported before {MULTIPROC_ENV} was set")
    private_dir(path)
    path.chmod(DIR_MODE)  # also when it was there before
    for item in path.glob("*.db"):
        item.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def mark_dead(pid: int) -> None:
    """Drop the live-gauge files of a process that ended (a gunicorn worker, a pool process)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


# Exposition: the process's values plus the broker's queue depths, read at scrape time.


class BrokerQueues:
    """A collector reading each queue's length from the Redis broker at scrape time.

    Messages a worker has taken but not acknowledged (running, or waiting for a countdown) are
    in kombu's `unacked` hash, reported apart. A broker that does not answer is reported as
    `cxloop_broker_up 0` rather than failing the scrape.
    """

    def __init__(self, redis_url: str, queues: tuple[str, ...] = QUEUES) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily("cxloop_broker_up", "Whether the Redis broker answered.")
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for queue in self.queues:
                    for suffix in _PRIORITY_LISTS:
                        pipe.llen(queue + suffix)
                pipe.hlen(_UNACKED)
                lengths = pipe.execute()
        except redis.RedisError as exc:
            log.warning("broker unreachable for metrics", extra={"error": type(exc).__name__})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "cxloop_queue_depth", "Messages waiting in a broker queue.", labels=["queue"]
        )
        step = len(_PRIORITY_LISTS)
        for index, queue in enumerate(self.queues):
            depth.add_metric([queue], sum(lengths[index * step : (index + 1) * step]))
        yield depth
        yield GaugeMetricFamily(
            "cxloop_broker_unacked", "Messages taken by workers, not yet acknowledged.",
            value=lengths[-1],
        )  # fmt: skip


class _ThisProcess:
    """The default registry, when a single process serves its own values (tests, one process)."""

    def collect(self) -> Iterator[Metric]:
        from prometheus_client import REGISTRY

        yield from REGISTRY.collect()


def registry(settings: Settings) -> CollectorRegistry:
    """A registry for a scrape: every process's values (multiprocess mode) and the broker's."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    built = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(built)
    else:
        built.register(_ThisProcess())  # type: ignore[arg-type]
    built.register(BrokerQueues(settings.effective_redis_url))  # type: ignore[arg-type]
    return built


def exposition(reg: CollectorRegistry) -> tuple[bytes, str]:
    """The text format of a registry and its content type."""
    from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

    return generate_latest(reg), CONTENT_TYPE_PLAIN_0_0_4


def parse_bind(bind: str) -> tuple[str, int]:
    """Split `host:port` (`:9100` means every interface); raise ValueError naming the setting."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"CXLOOP_METRICS_BIND must be host:port, not {bind!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


@dataclass
class Exporter:
    """A worker's metrics endpoint, served by a thread of its main process."""

    server: Any
    address: tuple[str, int]

    def close_in_child(self) -> None:
        """A forked pool process inherits the listening socket; it must not hold it open."""
        self.server.socket.close()


def serve_worker_metrics(settings: Settings, bind: str) -> Exporter:
    """Serve this worker's metrics (every pool process's, summed) on `bind` from a thread.

    Raises OSError when the address is taken and ValueError when it is malformed.
    """
    from celery import signals
    from prometheus_client import start_http_server

    host, port = parse_bind(bind)
    server, _thread = start_http_server(port, addr=host, registry=registry(settings))
    exporter = Exporter(server, (host, int(server.server_address[1])))
    signals.worker_process_init.connect(lambda **_: exporter.close_in_child(), weak=False)
    log.info("serving metrics", extra={"address": f"{host}:{exporter.address[1]}"})
    return exporter
