"""The WSGI entry point gunicorn loads: `services.ingest.wsgi:create_app_from_env()`."""

from __future__ import annotations

import os

from flask import Flask

from services.ingest.app import create_app
from services.ingest.auth import ensure_api_key
from services.ingest.startup import check_config_files, check_secrets
from shared.logs import configure_logging
from shared.settings import Settings


def create_app_from_env() -> Flask:
    """Build the app from CXLOOP_* variables, with JSON logs, an API key and safe secrets."""
    settings = Settings.from_env()
    configure_logging(settings, process="ingest")
    check_config_files(settings, os.environ)
    settings = ensure_api_key(settings)
    check_secrets(settings, os.environ)
    return create_app(settings)
