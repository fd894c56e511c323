"""Log-in throttling with back-off, and sessions that end on log-out, disable and new password."""

from __future__ import annotations

import logging
import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.desk.throttle import Policy, lock_seconds
from services.desk.users import find_user, set_active, set_password
from shared.db import transaction
from tests.desk.conftest import World
from tests.desk.factories import PASSWORD
from tests.desk.test_pages import csrf, log_in


def attempt(
    client: FlaskClient, email: str, password: str, address: str = "198.51.100.7"
) -> tuple[int, str, dict[str, str]]:
    """Post the log-in form from a client address; return status, body and headers."""
    env = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=env)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
        environ_base=env,
    )
    return response.status_code, response.text, dict(response.headers)


def test_forty_wrong_passwords_lock_the_account_and_the_right_one_is_refused_too(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    attacker = app.test_client()
    statuses = []
    with caplog.at_level(logging.WARNING, logger="services.desk.throttle"):
        for n in range(40):
            statuses.append(attempt(attacker, "champ@example.com", f"guess-{n:04d}-wrong")[0])
            if n == 4:
                locked_at = time.monotonic()  # the fifth failure starts a one-minute lock
    assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {429}
    status, body, headers = attempt(attacker, "champ@example.com", PASSWORD)
    assert status == 429
    # Refused attempts neither count nor extend the lock: it runs out a minute after it began.
    elapsed = time.monotonic() - locked_at
    assert 60 - elapsed - 1 <= int(headers["Retry-After"]) <= 60
    assert "Too many failed log-ins" in body and "try again in" in body
    failures = [r for r in caplog.records if r.getMessage() == "login failed"]
    assert len(failures) == 5  # once locked, attempts are refused before any password check
    assert failures[0].__dict__["email"] == "champ@example.com"
    assert not any("guess-" in str(r.__dict__) for r in caplog.records)  # never the password


def test_another_account_from_another_address_is_unaffected(app: Flask, world: World) -> None:
    attacker = app.test_client()
    for n in range(40):
        attempt(attacker, "champ@example.com", f"guess-{n:04d}-wrong")
    colleague = app.test_client()
    status, _, _ = attempt(colleague, "dora@example.com", PASSWORD, address="203.0.113.9")
    assert status == 303


def test_one_address_trying_many_accounts_is_locked_too(app: Flask, world: World) -> None:
    sprayer = app.test_client()
    statuses = [attempt(sprayer, f"user{n}@example.com", "password-spray-1")[0] for n in range(21)]
    assert statuses[:19] == [401] * 19 and statuses[19:] == [429, 429]
    assert attempt(sprayer, "dora@example.com", PASSWORD)[0] == 429
    assert attempt(app.test_client(), "dora@example.com", PASSWORD, address="203.0.113.9")[0] == 303


def test_each_failure_after_a_lock_doubles_it_up_to_the_cap() -> None:
    policy = Policy(max_failures=5, lock_s=60, lock_max_s=3600)
    locks = [lock_seconds(n, 5, policy) for n in range(3, 14)]
    assert locks == [0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_a_successful_log_in_forgets_earlier_failures(app: Flask, world: World) -> None:
    client = app.test_client()
    for n in range(4):
        assert attempt(client, "champ@example.com", f"typo-{n:04d}-wrong")[0] == 401
    assert attempt(client, "champ@example.com", PASSWORD)[0] == 303
    for n in range(4):
        assert attempt(client, "champ@example.com", f"typo-{n:04d}-again")[0] == 401


def test_an_old_cookie_stops_working_after_log_out(app: Flask, world: World) -> None:
    browser = app.test_client()
    log_in(browser, "champ@example.com")
    stolen = browser.get_cookie("session")
    assert stolen is not None
    browser.post("/logout", data={"csrf_token": csrf(browser, "/queue")})
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/queue").status_code == 302


@pytest.mark.parametrize("change", ["disable", "password"])
def test_disabling_or_a_new_password_ends_existing_sessions(
    app: Flask, world: World, sessions: sessionmaker[Session], change: str
) -> None:
    browser = app.test_client()
    log_in(browser, "champ@example.com")
    assert browser.get("/queue").status_code == 200
    with transaction(sessions) as session:
        user = find_user(session, email="champ@example.com")
        assert user is not None
        if change == "disable":
            set_active(user, False)
        else:
            set_password(user, "a-brand-new-password")
    assert browser.get("/queue").status_code == 302


def test_a_forged_cookie_without_the_session_version_is_refused(app: Flask, world: World) -> None:
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    forged = serializer.dumps({"_user_id": "1", "_fresh": True})  # the old cookie format
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/queue").status_code == 302
