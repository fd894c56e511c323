"""People management: `cxloop user ...`, the admin API and the Users page.

Disabling someone or changing their password ends their sessions; revoking tokens stops their
API tokens; every change is audited; a refused change (wrong role, unknown user, bad input,
wrong state, the last admin) answers in the usual shape and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from services.desk.models import ApiToken, User, UserEvent
from shared.settings import Settings
from tests.desk.conftest import World, auth
from tests.desk.factories import PASSWORD
from tests.desk.test_bad_input import assert_error_shape
from tests.desk.test_pages import csrf, log_in

NEW_PASSWORD = "a brand new passphrase"


def cli(settings: Settings, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, ["user", *args], env=settings.to_env(), input=stdin)


def snapshot(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    """Everything a people change could touch: users, tokens, audit rows."""
    with sessions() as s:
        users = s.execute(
            select(User.email, User.role, User.active, User.session_version, User.password_hash,
                   User.team_id).order_by(User.id)
        ).all()  # fmt: skip
        events = s.scalar(select(func.count()).select_from(UserEvent))
        tokens = s.execute(select(ApiToken.id, ApiToken.revoked_at).order_by(ApiToken.id)).all()
    return [*map(tuple, users), ("events", events), *map(tuple, tokens)]


def logged_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    token = csrf(client, "/login")
    answer = client.post("/login", data={"email": email, "password": password,
                                         "csrf_token": token})  # fmt: skip
    assert answer.status_code == 303
    return client


def in_session(client: FlaskClient) -> bool:
    return client.get("/queue").status_code == 200


# ---- CLI ----


def test_user_list_as_a_table_and_as_json(settings: Settings, world: World) -> None:
    table = cli(settings, "list")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "TEAM", "STATUS", "LAST", "LOG-IN",
                                "TOKENS"]  # fmt: skip
    dora = next(line for line in lines if line.startswith("dora@example.com"))
    assert dora.split() == ["dora@example.com", "Dora", "owner", "delivery", "active", "never",
                            "1"]  # fmt: skip
    listed = json.loads(cli(settings, "list", "--json").output)
    assert {p["email"] for p in listed} == {"admin@example.com", "champ@example.com",
                                            "dora@example.com", "sam@example.com",
                                            "vic@example.com"}  # fmt: skip
    assert all("password" not in str(p) and "digest" not in p for p in listed)


def test_set_password_and_disable_end_sessions_from_the_cli(
    app: Flask, settings: Settings, world: World, sessions: sessionmaker[Session]
) -> None:
    browser = logged_in(app, "champ@example.com")
    assert in_session(browser)
    done = cli(settings, "set-password", "--email", "champ@example.com", "--password-stdin",
               stdin=NEW_PASSWORD + "\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "sessions ended" in done.output
    assert not in_session(browser)
    browser = logged_in(app, "champ@example.com", NEW_PASSWORD)
    # The earlier name of the command still works.
    again = cli(settings, "password", "--email", "champ@example.com", "--password-stdin",
                stdin=PASSWORD + "\n")  # fmt: skip
    assert again.exit_code == 0 and not in_session(browser)

    browser = logged_in(app, "vic@example.com")
    assert cli(settings, "disable", "--email", "vic@example.com").exit_code == 0
    assert not in_session(browser)
    assert app.test_client().get("/v1/desk/queue", headers=auth(world, "viewer")).status_code == 401
    refused = cli(settings, "disable", "--email", "vic@example.com")
    assert refused.exit_code == 1 and "already disabled" in refused.output
    assert cli(settings, "enable", "--email", "vic@example.com").exit_code == 0
    assert app.test_client().get("/v1/desk/queue", headers=auth(world, "viewer")).status_code == 200
    with sessions() as s:
        trail = s.execute(select(UserEvent.actor, UserEvent.action).order_by(UserEvent.id)).all()
    assert [a for _, a in trail] == ["set_password", "set_password", "disable", "enable"]
    assert all(actor.startswith("cli") for actor, _ in trail)


def test_revoke_token_stops_api_tokens_but_not_sessions(
    app: Flask, settings: Settings, world: World
) -> None:
    browser = logged_in(app, "dora@example.com")
    api = app.test_client()
    assert api.get("/v1/desk/queue", headers=auth(world, "owner")).status_code == 200
    wrong_name = cli(settings, "revoke-token", "--email", "dora@example.com", "--name", "laptop")
    assert wrong_name.exit_code == 1 and "no working API token named 'laptop'" in wrong_name.output
    assert api.get("/v1/desk/queue", headers=auth(world, "owner")).status_code == 200
    done = cli(settings, "revoke-token", "--email", "dora@example.com", "--name", "test")
    assert done.exit_code == 0 and "1 API token(s) revoked" in done.output
    assert api.get("/v1/desk/queue", headers=auth(world, "owner")).status_code == 401
    assert in_session(browser)
    assert cli(settings, "revoke-token", "--email", "dora@example.com").exit_code == 1


def test_user_add_creates_a_team_lead_with_a_token_and_audits_it(
    settings: Settings, world: World, sessions: sessionmaker[Session]
) -> None:
    added = cli(settings, "add", "--email", "lee@example.com", "--role", "owner", "--team",
                "returns", "--lead", "--password-stdin", "--token", "ci",
                stdin=NEW_PASSWORD)  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "created lee@example.com (owner)" in added.output and "cxd_" in added.output
    with sessions() as s:
        lee = s.scalars(select(User).where(User.email == "lee@example.com")).one()
        assert lee.team is not None and lee.team.lead_id == lee.id
        event = s.scalars(select(UserEvent).where(UserEvent.user_id == lee.id)).one()
        assert (event.action, event.detail) == ("create", {"role": "owner", "team": "returns"})
    no_team = cli(settings, "add", "--email", "x@example.com", "--role", "owner", "--lead",
                  "--password-stdin", stdin=NEW_PASSWORD)  # fmt: skip
    assert no_team.exit_code == 1 and "a team lead needs a team" in no_team.output


def test_cli_refusals_change_nothing(
    settings: Settings, world: World, sessions: sessionmaker[Session]
) -> None:
    before = snapshot(sessions)
    for args, message in [
        (("disable", "--email", "nobody@example.com"), "no user with email"),
        (("disable", "--email", "admin@example.com"), "last active admin"),
        (("set-role", "--email", "admin@example.com", "--role", "viewer"), "last active admin"),
        (("set-role", "--email", "vic@example.com", "--role", "viewer"), "already viewer"),
        (("enable", "--email", "vic@example.com"), "already active"),
    ]:
        result = cli(settings, *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    short = cli(settings, "set-password", "--email", "vic@example.com", "--password-stdin",
                stdin="short\n")  # fmt: skip
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert snapshot(sessions) == before


# ---- API ----


def test_admins_list_create_and_change_people_over_the_api(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = auth(world, "admin")
    listed = client.get("/v1/desk/users", headers=admin).json
    dora = next(p for p in listed["items"] if p["email"] == "dora@example.com")
    assert (dora["role"], dora["team"], dora["active"], dora["api_tokens"]) == (
        "owner", "delivery", True, 1)  # fmt: skip
    created = client.post("/v1/desk/users", headers=admin, json={
        "email": "Nia@Example.com", "role": "champion", "team": "stores",
        "password": "first password here"})  # fmt: skip
    assert created.status_code == 201, created.json
    assert created.json["email"] == "nia@example.com" and created.json["team"] == "stores"
    nia = created.json["id"]
    changed = client.post(f"/v1/desk/users/{nia}/set-role", headers=admin, json={"role": "owner"})
    assert changed.json["user"]["role"] == "owner" and "owner" in changed.json["done"]
    assert client.post(f"/v1/desk/users/{nia}/set-team", headers=admin,
                       json={"team": ""}).json["user"]["team"] is None  # fmt: skip
    off = client.post(f"/v1/desk/users/{nia}/disable", headers=admin)
    assert off.status_code == 200 and off.json["user"]["active"] is False
    revoked = client.post(f"/v1/desk/users/{dora['id']}/revoke-tokens", headers=admin, json={})
    assert revoked.json["user"]["api_tokens"] == 0
    assert client.get("/v1/desk/queue", headers=auth(world, "owner")).status_code == 401
    with sessions() as s:
        actions = s.scalars(select(UserEvent.action).order_by(UserEvent.id)).all()
        actors = set(s.scalars(select(UserEvent.actor)).all())
    assert actions == ["create", "set_role", "set_team", "disable", "revoke_tokens"]
    assert actors == {"admin@example.com"}
    spec = client.get("/openapi.json").json
    assert {"/v1/desk/users", "/v1/desk/users/{user_id}/set-role"} <= set(spec["paths"])
    assert "password" not in spec["components"]["schemas"]["PersonOut"]["properties"]


def test_a_new_password_over_the_api_ends_that_users_sessions(
    app: Flask, client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    browser = logged_in(app, "sam@example.com")
    with sessions() as s:
        sam = s.scalar(select(User.id).where(User.email == "sam@example.com"))
    answer = client.post(f"/v1/desk/users/{sam}/set-password", headers=auth(world, "admin"),
                         json={"password": NEW_PASSWORD})  # fmt: skip
    assert answer.status_code == 200 and "sessions ended" in answer.json["done"]
    assert not in_session(browser)
    logged_in(app, "sam@example.com", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "code"),
    [
        ("champion", "get", "/v1/desk/users", None, 403),
        (
            "viewer",
            "post",
            "/v1/desk/users",
            {"email": "x@example.com", "role": "admin", "password": "0123456789ab"},
            403,
        ),
        ("owner", "post", "/v1/desk/users/{vic}/set-role", {"role": "admin"}, 403),
        ("champion", "post", "/v1/desk/users/{admin}/disable", None, 403),
        ("admin", "post", "/v1/desk/users/999999/disable", None, 404),
        ("admin", "post", "/v1/desk/users/{vic}/set-role", {"role": "boss"}, 422),
        ("admin", "post", "/v1/desk/users/{vic}/set-role", {}, 422),
        ("admin", "post", "/v1/desk/users/{vic}/set-password", {"password": "short"}, 422),
        ("admin", "post", "/v1/desk/users/{vic}/set-team", {"team": "x" * 101}, 422),
        (
            "admin",
            "post",
            "/v1/desk/users",
            {"email": "vic@example.com", "role": "viewer", "password": "0123456789ab"},
            422,
        ),
        (
            "admin",
            "post",
            "/v1/desk/users",
            {"email": "n@example.com", "role": "viewer", "password": "short"},
            422,
        ),
        (
            "admin",
            "post",
            "/v1/desk/users",
            {"email": "n@example.com", "role": "ruler", "password": "0123456789ab"},
            422,
        ),
        ("admin", "post", "/v1/desk/users/{vic}/enable", None, 409),
        ("admin", "post", "/v1/desk/users/{vic}/set-role", {"role": "viewer"}, 409),
        ("admin", "post", "/v1/desk/users/{admin}/disable", None, 409),
        ("admin", "post", "/v1/desk/users/{admin}/set-role", {"role": "viewer"}, 409),
        ("admin", "post", "/v1/desk/users/{vic}/revoke-tokens", {"name": "nope"}, 409),
        ("admin", "post", "/v1/desk/users/{vic}/fire", None, 404),
    ],
)
def test_bad_people_requests_get_the_error_shape_and_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], role: str, method: str,
    path: str, body: Any, code: int,
) -> None:  # fmt: skip
    with sessions() as s:
        ids = dict(s.execute(select(User.email, User.id)).all())
    path = path.format(vic=ids["vic@example.com"], admin=ids["admin@example.com"])
    before = snapshot(sessions)
    answer = getattr(client, method)(path, headers=auth(world, role), json=body)
    assert_error_shape(answer, code)
    assert snapshot(sessions) == before


# ---- pages ----


def test_only_admins_see_the_users_page(client: FlaskClient, world: World) -> None:
    log_in(client, "champ@example.com")
    assert "/admin/users" not in client.get("/queue").text
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/1").status_code == 403
    before_token = csrf(client, "/queue")
    refused = client.post("/admin/users/1/disable", data={"csrf_token": before_token})
    assert refused.status_code == 403


def test_user_pages_refuse_without_csrf_and_show_refusals(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    log_in(client, "admin@example.com")
    with sessions() as s:
        ids = dict(s.execute(select(User.email, User.id)).all())
    vic, admin = ids["vic@example.com"], ids["admin@example.com"]
    before = snapshot(sessions)
    assert client.post(f"/admin/users/{vic}/disable").status_code == 400  # no CSRF token
    token = csrf(client, f"/admin/users/{vic}")
    assert client.post(f"/admin/users/{vic}/enable", data={"csrf_token": token}).status_code == 409
    short = client.post(f"/admin/users/{vic}/set-password",
                        data={"csrf_token": token, "password": "short"})  # fmt: skip
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert client.post(f"/admin/users/{admin}/disable", data={"csrf_token": token}).status_code \
        == 409  # fmt: skip
    assert client.post("/admin/users/999999/disable", data={"csrf_token": token}).status_code \
        == 404  # fmt: skip
    taken = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "vic@example.com",
            "role": "viewer",
            "password": "0123456789ab",
        },
    )
    assert taken.status_code == 422 and "exists" in taken.text
    assert snapshot(sessions) == before
    page = client.get("/admin/users").text
    assert "vic@example.com" in page and "Add someone" in page
