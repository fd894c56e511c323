"""The people-management API for admins: list and create users, and change one.

Routes are added to the desk API's blueprint (token authentication, one error shape). Checks
run in this order, and a refused request changes nothing: 401 without a token, 403 for a
role other than admin, 404 for an unknown user, 422 for a bad body, 409 for a change that
does not apply (already disabled, the last admin...).
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import Conflict, Forbidden, NotFound, UnprocessableEntity

from services.desk import context, people
from services.desk.enums import Role
from services.desk.models import User
from services.desk.people_schemas import (
    PasswordIn,
    PeopleOut,
    PersonChangeOut,
    PersonIn,
    PersonOut,
    RoleIn,
    TeamIn,
    TokensIn,
)
from services.desk.users import UserError
from services.desk.views import bp, current_user, read_body
from shared.errors import http_error
from shared.openapi import documented

# URL action -> (people action, body schema, the body field carrying the value)
ACTIONS: dict[str, tuple[str, Any, str | None]] = {
    "disable": ("disable", None, None),
    "enable": ("enable", None, None),
    "end-sessions": ("end_sessions", None, None),
    "set-password": ("set_password", PasswordIn, "password"),
    "set-role": ("set_role", RoleIn, "role"),
    "set-team": ("set_team", TeamIn, "team"),
    "revoke-tokens": ("revoke_tokens", TokensIn, "name"),
}


def require_admin() -> User:
    """The caller, if an admin; 403 in the one error shape otherwise."""
    user = current_user()
    if user.role != Role.ADMIN:
        raise http_error(Forbidden, "only admins manage people")
    return user


def _refused(exc: UserError, field: str) -> Exception:
    if isinstance(exc, people.UserConflict):
        return http_error(Conflict, str(exc))
    return http_error(UnprocessableEntity, "the request is invalid", {field: [str(exc)]})


def _field_of(message: str) -> str:
    """Which field a refused creation is about (users.add_user's messages start with it)."""
    return next((f for f in ("password", "role") if message.startswith(f)), "email")


@bp.get("/v1/desk/users")
@documented("Every desk user (admins only)", response=PeopleOut, errors=(401, 403))
def list_people() -> dict[str, Any]:
    """List the desk's users with role, team, status and working API tokens."""
    require_admin()
    return PeopleOut().dump({"items": [p.as_dict() for p in people.people(context.db())]})


@bp.post("/v1/desk/users")
@documented("Create a desk user (admins only)", body=PersonIn, response=PersonOut,
            errors=(401, 403, 422), status=201)  # fmt: skip
def create_person() -> tuple[dict[str, Any], int]:
    """Create a user with a first password the admin passes on."""
    admin = require_admin()
    data = PersonIn().load(read_body())
    session = context.db()
    try:
        user = people.create(session, actor=admin.email, now=context.now(), **data)
        session.commit()
    except UserError as exc:
        session.rollback()
        raise _refused(exc, _field_of(str(exc))) from exc
    person = people.get_person(session, user.id)
    assert person is not None
    return PersonOut().dump(person.as_dict()), 201


def _action_view(name: str) -> Any:
    action, schema, field = ACTIONS[name]

    def view(user_id: int) -> dict[str, Any]:
        admin = require_admin()
        session = context.db()
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        value = schema().load(read_body())[field] if schema is not None else ""
        try:
            done = people.change(
                session, actor=admin.email, actor_id=admin.id, user=user, action=action,
                now=context.now(), value=value or "",
            )  # fmt: skip
            session.commit()
        except UserError as exc:
            session.rollback()
            raise _refused(exc, field or "_schema") from exc
        person = people.get_person(session, user_id)
        assert person is not None
        return PersonChangeOut().dump({"user": person.as_dict(), "done": done})

    view.__name__ = f"person_{action}"
    view.__doc__ = f"{name.replace('-', ' ').capitalize()} (admins only)."
    return documented(
        f"{name.replace('-', ' ').capitalize()} a desk user (admins only)", body=schema,
        response=PersonChangeOut, errors=(401, 403, 404, 409, 422),
    )(view)  # fmt: skip


for _name in ACTIONS:
    bp.add_url_rule(
        f"/v1/desk/users/<int:user_id>/{_name}", view_func=_action_view(_name), methods=["POST"]
    )
