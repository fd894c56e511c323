"""The router worker's Celery app: its tasks, and the desk's and ingest's on the router queue."""

import os

import click
from celery import Celery

from services.desk.config import load_desk_config
from services.ingest.sources.config import ConfigError as SourcesError
from services.ingest.sources.config import load_sources
from services.router.config import ConfigError, load_config
from services.router.decision import warm_up
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
        config = load_config(settings.routes_file)
    except ConfigError as exc:
        raise click.ClickException(f"invalid routing file:\n{exc}") from exc
    try:
        load_desk_config(settings.desk_file)
        load_sources(settings.sources_file, os.environ)
    except (DeskConfigError, SourcesError) as exc:
        raise click.ClickException(f"invalid config file:\n{exc}") from exc
    warm_up(config)
    return create_celery(
        settings,
        include=[
            "services.router.tasks",
            "services.desk.tasks",  # SLA check, digest planning: desk data, on the router queue
            "services.ingest.tasks",  # thin-webhook fetches: ingest's rows, on the router queue
        ],
    )
