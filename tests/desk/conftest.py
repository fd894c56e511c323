"""Fixtures for the desk's HTTP tests: an app with the desk, people with roles, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.desk import init_app
from services.desk.users import issue_token
from shared.db import transaction
from shared.errors import register_error_handlers
from shared.runtime import runtime
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK
from shared.settings.secret import Secret
from tests.desk.factories import T0, add_assignment, make_case, make_user
from tests.support.serving import serve

NOW = T0 + timedelta(hours=30)


@pytest.fixture
def desk_settings(settings: Settings, redis_url: str) -> Settings:
    """Test settings with a real Redis (notifier tasks land there) and a session secret."""
    return settings.with_(
        redis_url=redis_url, secret_key=Secret("test-secret"), desk_file=EXAMPLE_DESK
    )


@pytest.fixture
def app(desk_settings: Settings) -> Iterator[Flask]:
    """A Flask app carrying only the desk (the ingest app adds it the same way)."""
    app = Flask(__name__)
    app.config.update(CXLOOP_SETTINGS=desk_settings, TESTING=True)
    register_error_handlers(app)
    init_app(app)
    app.extensions["desk"] = replace(app.extensions["desk"], clock=lambda: NOW)
    yield app
    app.extensions["desk"].celery.close()
    app.extensions["desk"].throttle.redis.close()
    runtime(desk_settings).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def base_url(app: Flask, sqlite_url: str) -> Iterator[str]:
    """The desk served over real HTTP on a free port."""
    with serve(app) as url:
        yield url


@dataclass
class World:
    """Seeded people (with API tokens) and cases of two teams."""

    tokens: dict[str, str]
    delivery_case: int
    store_case: int


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with transaction(sessions) as s:
        people = {
            "admin": make_user(s, "admin@example.com", "admin"),
            "champion": make_user(s, "champ@example.com", "champion"),
            "owner": make_user(s, "dora@example.com", "owner", team="delivery", lead=True),
            "other_owner": make_user(s, "sam@example.com", "owner", team="stores"),
            "viewer": make_user(s, "vic@example.com", "viewer"),
        }
        tokens = {role: issue_token(s, user=u, name="test") for role, u in people.items()}
        delivery = make_case(s, comment="Courier threw the parcel over the fence")
        add_assignment(s, delivery)
        store = make_case(
            s, touchpoint="store", owner="stores-team", comment="Nobody at the till", priority="p1"
        )
        return World(tokens, delivery.id, store.id)


def auth(world: World, role: str) -> dict[str, str]:
    """Headers for an API call as one of the seeded people."""
    return {"Authorization": f"Bearer {world.tokens[role]}"}
