"""The notifier worker's Celery app."""

from celery import Celery

from shared.celery_app import create_celery
from shared.settings import Settings


def create_worker_app(settings: Settings) -> Celery:
    """Build the Celery app that runs the notifier's tasks."""
    return create_celery(settings, include=["services.notifier.tasks"])
