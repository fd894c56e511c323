"""Fixtures for the ingest service: an app and a client per test, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.ingest.app import create_app
from shared.settings import Settings


@pytest.fixture
def make_app() -> Iterator[Callable[[Settings], Flask]]:
    """Build apps from settings and release their connections after the test."""
    apps: list[Flask] = []

    def build(settings: Settings) -> Flask:
        app = create_app(settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["cxloop"].close()


@pytest.fixture
def app(make_app: Callable[[Settings], Flask], settings: Settings, redis_url: str) -> Flask:
    """The ingest app on the test database and the test Redis."""
    return make_app(settings.with_(redis_url=redis_url))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()
