"""The admins' Users page: list, add, disable and enable people, reset passwords, change roles
and teams, end sessions, revoke API tokens. Routes join the desk pages' blueprint (log-in and
CSRF checked there); every change goes through `people` and is audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from services.desk import context, options, people
from services.desk.enums import Role
from services.desk.forms import PERSON_FORMS, PersonForm, TeamForm
from services.desk.models import User
from services.desk.pages import bp, form_post, html_page
from services.desk.users import UserError

# The value each action's form carries, if any.
VALUES = {"set_password": "password", "set_role": "role", "set_team": "team",
          "revoke_tokens": "name"}  # fmt: skip


def _admin() -> None:
    if current_user.role != Role.ADMIN:
        abort(403, "Only admins manage people.")


def _teams() -> list[tuple[str, str]]:
    teams = options.Options.load(context.db(), context.config()).teams
    return [("", "— no team —"), *((t, t) for t in teams)]


def _list_page(form: PersonForm | None = None, status: int = 200, error: str | None = None
               ) -> ResponseReturnValue:  # fmt: skip
    session = context.db()
    form = form or PersonForm(formdata=None)
    form.team.choices = _teams()
    return render_template(
        "desk/users.html", people=people.people(session), form=form, error=error,
        events=people.recent_events(session),
    ), status  # fmt: skip


@bp.get("/admin/users")
@html_page("People and teams (admins)", errors=(403,))
def users() -> ResponseReturnValue:
    """Everyone who uses the desk, a form to add someone, and the latest changes."""
    _admin()
    return _list_page()


@bp.post("/admin/users")
@form_post("Add a person (admins)", PersonForm, errors=(400, 403, 422))
def add_person() -> ResponseReturnValue:
    """Add someone with a first password."""
    _admin()
    form = PersonForm()
    form.team.choices = _teams()
    if not form.validate():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _list_page(form, 422, errors)
    session = context.db()
    try:
        user = people.create(
            session, actor=current_user.email, now=context.now(), email=form.email.data or "",
            password=form.password.data or "", role=form.role.data or "",
            name=form.name.data or "", team=form.team.data or None,
        )  # fmt: skip
        session.commit()
    except UserError as exc:
        session.rollback()
        return _list_page(form, 409 if isinstance(exc, people.UserConflict) else 422, str(exc))
    flash(f"Added {user.email} ({user.role}). Give them their first password.", "ok")
    return redirect(url_for("desk_pages.person", user_id=user.id), 303)


def _person_page(user_id: int, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    session = context.db()
    person = people.get_person(session, user_id)
    if person is None:
        abort(404, f"User {user_id} not found.")
    forms = {name: form_type(formdata=None) for name, form_type in PERSON_FORMS.items()}
    team_form = forms["set_team"]
    assert isinstance(team_form, TeamForm)
    team_form.team.choices = _teams()
    team_form.team.data = person.user.team.name if person.user.team else ""
    forms["set_role"].role.data = person.user.role  # type: ignore[attr-defined]
    events = people.recent_events(session, 20, user_id=user_id)
    return render_template(
        "desk/user.html", person=person, forms=forms, error=error, events=events,
        is_self=person.user.id == current_user.id,
    ), status  # fmt: skip


@bp.get("/admin/users/<int:user_id>")
@html_page("One person (admins)", errors=(403, 404))
def person(user_id: int) -> ResponseReturnValue:
    """One person: details, what can be done to them, and their audit trail."""
    _admin()
    return _person_page(user_id)


@bp.post("/admin/users/<int:user_id>/<action>")
@form_post("Change a person (admins)", *PERSON_FORMS.values(), errors=(400, 403, 404, 409, 422),
           path={"action": {"type": "string", "enum": list(PERSON_FORMS)}})  # fmt: skip
def person_action(user_id: int, action: str) -> ResponseReturnValue:
    """Run one people-management action from the person's page."""
    _admin()
    action = action.replace("-", "_")
    if action not in PERSON_FORMS:
        abort(404, f"No action {action!r}.")
    session = context.db()
    user = session.get(User, user_id)
    if user is None:
        abort(404, f"User {user_id} not found.")
    form: FlaskForm = PERSON_FORMS[action]()
    if isinstance(form, TeamForm):
        form.team.choices = _teams()
    if not form.validate():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _person_page(user_id, 422, errors)
    value = str(form.data.get(VALUES.get(action, ""), "") or "")
    try:
        done = people.change(
            session, actor=current_user.email, actor_id=current_user.id, user=user,
            action=action, now=context.now(), value=value,
        )  # fmt: skip
        session.commit()
    except UserError as exc:
        session.rollback()
        return _person_page(user_id, 409 if isinstance(exc, people.UserConflict) else 422, str(exc))
    flash(f"{user.email}: {done}.", "ok")
    return redirect(url_for("desk_pages.person", user_id=user_id), 303)
