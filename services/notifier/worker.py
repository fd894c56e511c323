"""The notifier worker's Celery app, and the checks it passes before it may start."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from celery import Celery

from services.notifier.channels.email import SECURITY_MODES, plain_login
from shared.celery_app import create_celery
from shared.settings import Settings


class NotifierConfigError(ValueError):
    """The notifier's channels are configured in a way that would lose or expose alerts."""


def create_worker_app(settings: Settings) -> Celery:
    """Build the Celery app that runs the notifier's tasks."""
    return create_celery(settings, include=["services.notifier.tasks"])


def preflight(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Refuse to start with no way to reach anyone, or with an SMTP login sent in clear text.

    With a production database, alerts that silently land in the outbox and are marked `sent`
    reach nobody; the outbox must then be chosen with CXLOOP_ALLOW_OUTBOX=1.
    """
    env = os.environ if environ is None else environ
    if settings.smtp_security not in SECURITY_MODES:
        raise NotifierConfigError(
            f"CXLOOP_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, "
            f"not {settings.smtp_security!r}"
        )
    if plain_login(settings):
        raise NotifierConfigError(
            "CXLOOP_SMTP_USERNAME is set but CXLOOP_SMTP_SECURITY is 'none': the password would "
            "cross the network in clear text. Use starttls or ssl, or set "
            "CXLOOP_SMTP_ALLOW_PLAIN_LOGIN=1 if the server is on a trusted link"
        )
    if (
        settings.database_url
        and not settings.allow_outbox
        and not configured_channels(settings, env)
    ):
        raise NotifierConfigError(
            "no alert channel is configured (CXLOOP_SMTP_HOST, CXLOOP_SLACK_TOKEN, or a Slack "
            "webhook variable named by webhook_url_env): alerts would only be written to the "
            "outbox and marked sent. Configure a channel, or set CXLOOP_ALLOW_OUTBOX=1 to choose "
            "the outbox"
        )


def configured_channels(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """Name the channels that can reach someone: SMTP, the Slack bot, set Slack webhooks."""
    found = []
    if settings.smtp_host:
        found.append("email")
    if settings.slack_token:
        found.append("slack bot")
    for path in (settings.routes_file, settings.desk_file):
        found += [f"slack webhook {n}" for n in _webhook_variables(path) if environ.get(n)]
    return found


def _webhook_variables(path: Path) -> Iterator[str]:
    """Every `webhook_url_env` value in a YAML file (the routing and desk files both use it)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return  # the router and the desk report a bad file, with file, key and reason
    yield from _values_of("webhook_url_env", document)


def _values_of(key: str, node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _values_of(key, value)
    elif isinstance(node, list):
        for item in node:
            yield from _values_of(key, item)
