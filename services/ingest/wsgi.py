"""The WSGI entry point gunicorn loads: `services.ingest.wsgi:create_app_from_env()`."""

from __future__ import annotations

from flask import Flask

from services.ingest.app import create_app
from services.ingest.auth import ensure_api_key
from shared.logs import configure_logging
from shared.settings import Settings


def create_app_from_env() -> Flask:
    """Build the app from CXLOOP_* variables, with JSON logs and an API key guaranteed."""
    settings = Settings.from_env()
    configure_logging(settings, process="ingest")
    return create_app(ensure_api_key(settings))
