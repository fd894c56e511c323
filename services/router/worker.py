"""The router worker's Celery app, built only from a routing file that passed validation."""

import click
from celery import Celery

from services.router.config import ConfigError, load_config
from shared.celery_app import create_celery
from shared.settings import Settings


def create_worker_app(settings: Settings) -> Celery:
    """Validate the routing file, then build the Celery app that runs the router's tasks.

    A bad file stops the worker at start with the file, key and reason (a ClickException, so
    `cxloop worker router` prints it and exits 1 without a traceback).
    """
    try:
        load_config(settings.routes_file)
    except ConfigError as exc:
        raise click.ClickException(f"invalid routing file:\n{exc}") from exc
    return create_celery(
        settings,
        include=[
            "services.router.tasks",
            "services.router.sla_tasks",
            "services.router.fetch",
        ],
    )
