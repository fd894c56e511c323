"""The web process: ingest's API and the case desk in one Flask app (`cxloop serve`, gunicorn).

This is where the two web services meet; neither imports the other. gunicorn loads
`cxloop.web:create_app_from_env()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from services.desk import init_app as init_desk
from services.desk.config import load_desk_config
from services.ingest.app import create_app as create_ingest_app
from services.ingest.auth import ensure_api_key
from services.ingest.startup import check_config_files as check_ingest_files
from services.ingest.startup import check_secrets
from shared.logs import configure_logging
from shared.settings import Settings


def create_app(settings: Settings) -> Flask:
    """Build the web app: ingest's API, then the desk (/v1/desk, pages, /openapi.json)."""
    app = create_ingest_app(settings)
    init_desk(app)
    return app


def check_config_files(settings: Settings, environ: Mapping[str, str]) -> None:
    """Read every file the web process uses: a bad one stops it with file, key and reason.

    Ingest's (the sources file, the routing file's touchpoints) and the desk file.
    """
    check_ingest_files(settings, environ)
    load_desk_config(settings.desk_file)


def create_app_from_env() -> Flask:
    """Build the app from CXLOOP_* variables, with JSON logs, an API key and safe secrets."""
    settings = Settings.from_env()
    configure_logging(settings, process="ingest")
    check_config_files(settings, os.environ)
    settings = ensure_api_key(settings)
    check_secrets(settings, os.environ)
    return create_app(settings)
