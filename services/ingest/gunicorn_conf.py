"""Gunicorn settings for the ingest service (`cxloop serve`), from the CXLOOP_* environment.

Threads (gthread) suit this I/O-bound service: each request waits on the database and Redis.
Both logs go to stdout as JSON through shared.logs (services.ingest.access_log). The workers
count into one Prometheus multiprocess directory, emptied when the master starts.
"""

from typing import Any

from shared import metrics_export
from shared.settings import Settings

_settings = Settings.from_env()

bind = _settings.bind
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
logger_class = "services.ingest.access_log.JsonLogger"
control_socket_disable = True  # one per home directory would clash between instances


def on_starting(server: Any) -> None:
    """Before any worker exists: point every worker's metrics at a fresh private directory."""
    port = _settings.bind.rpartition(":")[2]
    name = f"ingest-{port}" if port.isdigit() else "ingest"  # a unix socket has no port
    metrics_export.use_multiprocess_dir(metrics_export.multiprocess_dir(_settings, name))


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live values no longer count (its counters do)."""
    metrics_export.mark_dead(worker.pid)
