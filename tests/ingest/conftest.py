"""Fixtures for the ingest service: an app and a client per test, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.settings import Settings


@pytest.fixture
def app(make_app: Callable[[Settings], Flask], settings: Settings, redis_url: str) -> Flask:
    """The ingest app on the test database and the test Redis."""
    return make_app(settings.with_(redis_url=redis_url))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()
