"""Commands that run cxloop's processes; `up` supervises all of them on one machine."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click

from shared import metrics, metrics_export, task_names
from shared.db import migrate as apply_migrations
from shared.embedded import EmbeddedRedisMissing, start_redis
from shared.logs import configure_logging
from shared.private import UMASK, own_data_dir, private_dir
from shared.safety import UnsafeSettings
from shared.settings import Settings

log = logging.getLogger(__name__)

# `python -m cxloop ARGS` for each process: what `up` starts, what the containers run
# (docker-compose.yml) and what the end-to-end tests start. A test keeps them identical.
PROCESS_ARGS: dict[str, tuple[str, ...]] = {
    "migrate": ("migrate",),
    "ingest": ("serve",),
    "router": ("worker", "router"),
    "notifier": ("worker", "notifier"),
    "beat": ("beat",),
}

WORKER_MODULES = {
    "router": "cxloop.router_worker",  # with the desk's and ingest's tasks on its queue
    "notifier": "services.notifier.worker",
}


@click.command()
def migrate() -> None:
    """Apply database migrations up to the latest schema."""
    settings = Settings.from_env()
    configure_logging(settings, process="migrate")
    apply_migrations(settings.effective_database_url)
    click.echo("database is up to date")


@click.command()
def serve() -> None:
    """Run the ingest HTTP service under gunicorn, after the start-up secret check."""
    from cxloop.web import check_config_files
    from services.ingest.auth import ensure_api_key
    from services.ingest.startup import check_secrets

    settings = Settings.from_env()
    _refuse_unsafe(lambda s: check_config_files(s, os.environ), settings)
    _refuse_unsafe(lambda s: check_secrets(ensure_api_key(s), os.environ), settings)
    os.execvp(
        sys.executable,
        [sys.executable, "-m", "gunicorn", "--config", "python:services.ingest.gunicorn_conf",
         "cxloop.web:create_app_from_env()"],
    )  # fmt: skip


@click.command()
@click.argument("service", type=click.Choice(sorted(WORKER_MODULES)))
def worker(service: str) -> None:
    """Run a Celery worker consuming SERVICE's queue."""
    from importlib import import_module

    from celery.utils.nodenames import default_nodename, host_format

    settings = Settings.from_env()
    configure_logging(settings, process=f"{service}-worker")
    module = import_module(WORKER_MODULES[service])
    _refuse_unsafe(getattr(module, "preflight", None), settings)
    app = module.create_worker_app(settings)
    if settings.metrics_bind:
        _export_metrics(settings, service)
    pool, concurrency = worker_pool(service, settings)
    # The pid in the node name: several workers of one service may share a host, and RabbitMQ
    # refuses a second worker of the same name (its control queue is exclusive). The worker is
    # built as `celery worker` builds it, without going through Celery's command line, whose
    # imports (its shell among them) cost each worker about 10 MB.
    node = host_format(default_nodename(f"{service}-{os.getpid()}@%h"))
    celery_worker = app.Worker(
        hostname=node, pool_cls=pool, concurrency=concurrency, loglevel=settings.log_level,
        queues=list(task_names.WORKER_QUEUES[service]), without_gossip=True, without_mingle=True,
    )  # fmt: skip
    celery_worker.start()
    sys.exit(celery_worker.exitcode)


def worker_pool(service: str, settings: Settings) -> tuple[str, int]:
    """The Celery pool and its size: processes for the CPU-bound router, threads for the notifier.

    The notifier mostly waits on Slack and SMTP, so a thread per send in flight costs a few
    hundred kilobytes where a prefork child costs a whole interpreter and a pipe hop per task.
    """
    if service == "notifier":
        return settings.notifier_pool, settings.notifier_concurrency
    return settings.router_pool, settings.worker_concurrency


@click.command()
def beat() -> None:
    """Run the scheduler that sends the periodic sweeps and SLA checks, one at a time."""
    import redis

    from shared.beat_lock import BeatLock
    from shared.celery_app import create_celery

    settings = Settings.from_env()
    configure_logging(settings, process="beat")
    private_dir(settings.data_dir)
    client = redis.Redis.from_url(
        settings.effective_redis_url, socket_connect_timeout=2, socket_timeout=5
    )
    try:
        lock = BeatLock(client, settings.beat_lock_ttl_s)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    lock.wait_for()
    lock.keep(on_lost=lambda: os.kill(os.getpid(), signal.SIGTERM))  # beat stops on SIGTERM
    try:
        create_celery(settings).start(["beat", "--loglevel", settings.log_level])
    finally:
        lock.release()


def _export_metrics(settings: Settings, service: str) -> None:
    """Count in every pool process and serve the sums on CXLOOP_METRICS_BIND from this one."""
    metrics_export.use_multiprocess_dir(metrics_export.multiprocess_dir(settings, service))
    metrics.instrument_celery()
    try:
        metrics_export.serve_worker_metrics(settings, settings.metrics_bind)
    except (OSError, ValueError) as exc:
        message = f"cannot serve metrics on {settings.metrics_bind}: {exc}"
        raise click.ClickException(message) from exc


def _refuse_unsafe(check: Callable[[Settings], None] | None, settings: Settings) -> None:
    """Run a start-up check; its refusal ends the command with the check's own message."""
    if check is None:
        return
    try:
        check(settings)
    except (UnsafeSettings, RuntimeError, ValueError) as exc:  # refusals name what to fix
        raise click.ClickException(str(exc)) from exc


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


@click.command()
def up() -> None:
    """Start the whole system: migrations, embedded Redis if needed, web, workers and scheduler."""
    from services.ingest.auth import ensure_api_key, key_file
    from services.ingest.startup import check_secrets
    from services.notifier.worker import preflight

    settings = Settings.from_env()
    configure_logging(settings, process="up")
    os.umask(UMASK)  # every process started here (and redis-server) keeps its files private
    own_data_dir(settings.data_dir)
    settings = ensure_api_key(settings)
    _refuse_unsafe(lambda s: check_secrets(s, os.environ), settings)
    _refuse_unsafe(preflight, settings)
    env = dict(os.environ)
    redis_proc = None
    if not settings.redis_url:
        try:
            redis_proc = start_redis(settings.embedded_redis_socket)
        except EmbeddedRedisMissing as exc:
            raise click.ClickException(str(exc)) from exc
        env["CXLOOP_REDIS_URL"] = settings.effective_redis_url
    env.setdefault("CXLOOP_DATA_DIR", str(settings.data_dir.resolve()))
    apply_migrations(settings.effective_database_url)
    children = [
        _Child(name, [sys.executable, "-m", "cxloop", *args], _child_env(name, env, settings))
        for name, args in PROCESS_ARGS.items()
        if name != "migrate"
    ]
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for child in children:
        child.proc = subprocess.Popen(child.argv, env=child.env)
    key_hint = "CXLOOP_API_KEYS" if os.environ.get("CXLOOP_API_KEYS") else key_file(settings)
    click.echo(
        f"cxloop is up: ingest on http://{settings.bind} (API key: {key_hint}), "
        f"data in {settings.data_dir}"
    )
    try:
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if child.proc is not None and child.proc.poll() is not None and not stopping:
                    _restart(child)
    finally:
        for child in children:
            if child.proc is not None and child.proc.poll() is None:
                child.proc.terminate()
        for child in children:
            if child.proc is not None:
                try:
                    child.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.proc.kill()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


def _child_env(name: str, env: dict[str, str], settings: Settings) -> dict[str, str]:
    """Give the notifier the port above the router's for its metrics (one CXLOOP_METRICS_BIND)."""
    if name != "notifier" or not settings.metrics_bind:
        return env
    try:
        host, port = metrics_export.parse_bind(settings.metrics_bind)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    return env | {"CXLOOP_METRICS_BIND": f"{host}:{port + 1}"}


def _restart(child: _Child) -> None:
    """Restart a crashed process, giving up if it keeps crashing (5 times in a minute)."""
    assert child.proc is not None
    now = time.monotonic()
    child.restarts = [t for t in child.restarts if now - t < 60] + [now]
    if len(child.restarts) > 5:
        raise click.ClickException(
            f"{child.name} keeps exiting (last code {child.proc.returncode})"
        )
    log.warning(
        "process exited; restarting", extra={"child": child.name, "code": child.proc.returncode}
    )
    child.proc = subprocess.Popen(child.argv, env=child.env)
