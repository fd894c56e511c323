"""The router worker's Celery app: its tasks, and the desk's and ingest's on the router queue."""

import os

import click
from celery import Celery

from services.desk.config import load_desk_config
from services.ingest.sources.config import ConfigError as SourcesError
from services.ingest.sources.config import load_sources
from services.router.config import ConfigError
from services.router.decision import warm_up
from services.router.tasks import current_config, current_sla
from shared import task_names
from shared.celery_app import create_celery
from shared.settings import Settings
from shared.sla import DeskConfigError


def create_worker_app(settings: Settings) -> Celery:
    """Validate every file the router reads, then build the Celery app that runs its tasks.

    The routing file (routing), the desk file (SLA deadlines and escalations) and the sources
    file (thin-webhook fetches). A bad file stops the worker at start with the file, key and
    reason (a ClickException, so `cxloop worker router` prints it and exits 1 without a
    traceback).
    """
    try:
        # Read through the tasks' own cache, so the pool processes forked from this one start
        # with the parsed file instead of each parsing it before its first response.
        config, _ = current_config(settings.routes_file)
    except ConfigError as exc:
        raise click.ClickException(f"invalid routing file:\n{exc}") from exc
    try:
        load_desk_config(settings.desk_file)
        load_sources(settings.sources_file, os.environ)
    except (DeskConfigError, SourcesError) as exc:
        raise click.ClickException(f"invalid config file:\n{exc}") from exc
    current_sla(settings.desk_file)
    warm_up(config)
    app = create_celery(
        settings,
        include=[
            "services.router.tasks",
            "services.desk.tasks",  # SLA check, digest planning: desk data, on the router queue
            "services.ingest.tasks",  # thin-webhook fetches: ingest's rows, on the router queue
        ],
    )
    batch_responses(app, size=settings.router_batch_size, wait_s=settings.router_batch_wait_s)
    return app


def batch_responses(app: Celery, *, size: int, wait_s: float) -> None:
    """Route responses in batches of up to `size`, waiting at most `wait_s` for one to fill.

    A pool process takes a batch, so each may hold `size` messages unacknowledged: less prefetch
    and every batch would wait out `wait_s` half empty.
    """
    app.conf.worker_prefetch_multiplier = size
    app.loader.import_default_modules()  # the worker would at start; the task is needed now
    task = app.tasks[task_names.PROCESS_RESPONSE]
    task.flush_every, task.flush_interval = size, wait_s
