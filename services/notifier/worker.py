"""The notifier worker's Celery app, and the checks it passes before it may start."""

from __future__ import annotations

from contextlib import suppress

from celery import Celery

from services.notifier.channels.email import plain_login
from shared import task_names
from shared.celery_app import create_celery
from shared.followups.config import load_follow_up
from shared.routes_file import RoutesFileError, touchpoint_names
from shared.settings import Settings
from shared.settings.webhooks import ConfigFileError, webhook_references
from shared.sla import DeskConfigError


class NotifierConfigError(ValueError):
    """The notifier's channels are configured in a way that would lose or expose alerts."""


def create_worker_app(settings: Settings) -> Celery:
    """Build the Celery app that runs the notifier's tasks, deliveries in batches."""
    app = create_celery(settings, include=["services.notifier.tasks"])
    with suppress(RoutesFileError):  # read now, not before the first alert ("Wrong touchpoint")
        touchpoint_names(settings.routes_file)
    app.loader.import_default_modules()  # the worker would at start; the task is needed now
    task = app.tasks[task_names.DELIVER]
    task.flush_every, task.flush_interval = (
        settings.notifier_batch_size,
        settings.notifier_batch_wait_s,
    )
    # Room for two batches beyond what the pool holds: with less, every batch would wait out
    # the interval half empty while the previous one is still being sent.
    slots = settings.notifier_concurrency
    app.conf.worker_prefetch_multiplier = max(1, -(-2 * settings.notifier_batch_size // slots))
    return app


def preflight(settings: Settings) -> None:
    """Refuse to start with a bad config file, an alert that could reach nobody, or clear text.

    The routing and desk files are read for the webhook variables they name, and the desk
    file's `follow_up` section is validated. With a production
    database, alerts that silently land in the outbox and are marked `sent` reach nobody: an
    unset webhook variable stops the start by name, and so does having no channel at all, unless
    the outbox is chosen with CXLOOP_ALLOW_OUTBOX=1.
    """
    try:
        named = [
            n
            for path in (settings.routes_file, settings.desk_file)
            for n in webhook_references(path)
        ]
        load_follow_up(settings.desk_file)  # the follow-up questions this worker sends
    except (ConfigFileError, DeskConfigError) as exc:
        raise NotifierConfigError(str(exc)) from None
    if plain_login(settings):
        raise NotifierConfigError(
            "CXLOOP_SMTP_USERNAME is set but CXLOOP_SMTP_SECURITY is 'none': the password would "
            "cross the network in clear text. Use starttls or ssl, or set "
            "CXLOOP_SMTP_ALLOW_PLAIN_LOGIN=1 if the server is on a trusted link"
        )
    if settings.allow_outbox or not settings.database_url:
        return  # on SQLite (the embedded default) what cannot be sent goes to the outbox
    unset = sorted({n for n in named if n not in settings.slack_webhooks})
    if unset:
        raise NotifierConfigError(
            f"Slack webhook variable(s) {', '.join(unset)} named by webhook_url_env in "
            f"{settings.routes_file} or {settings.desk_file} not set: their alerts would only be "
            "written to the outbox. Set them, or set CXLOOP_ALLOW_OUTBOX=1 to choose the outbox"
        )
    if settings.database_url and not configured_channels(settings):
        raise NotifierConfigError(
            "no alert channel is configured (CXLOOP_SMTP_HOST, CXLOOP_SLACK_TOKEN, or a Slack "
            "webhook variable named by webhook_url_env): alerts would only be written to the "
            "outbox and marked sent. Configure a channel, or set CXLOOP_ALLOW_OUTBOX=1 to choose "
            "the outbox"
        )


def configured_channels(settings: Settings) -> list[str]:
    """Name the channels that can reach someone: SMTP, the Slack bot, set Slack webhooks."""
    found = []
    if settings.smtp_host:
        found.append("email")
    if settings.slack_token:
        found.append("slack bot")
    found += [f"slack webhook {name}" for name in settings.slack_webhooks]
    return found
