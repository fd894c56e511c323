"""The web forms; Flask-WTF gives each a CSRF token checked on submit."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from services.desk.enums import ContactChannel, ContactOutcome, Role
from shared.enums import CaseStatus

TEXT = Length(max=10_000)


def choices(values: Iterable[str]) -> list[SelectChoice]:
    """Select options for codes, labelled readably."""
    return [SelectChoice(str(v), str(v).replace("_", " ")) for v in values]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


class SilenceForm(FlaskForm):
    matchers = TextAreaField(
        "Matchers, one per line", validators=[DataRequired(), Length(max=5_000)],
        description='e.g. touchpoint = "checkout"',
    )  # fmt: skip
    hours = SelectField(
        "For", default="4",
        choices=[SelectChoice(h, label) for h, label in (
            ("1", "1 hour"), ("4", "4 hours"), ("8", "8 hours"), ("24", "1 day"),
            ("72", "3 days"), ("168", "1 week"))],
    )  # fmt: skip
    comment = TextAreaField("Why", validators=[DataRequired(), Length(max=2_000)])


class PlainForm(FlaskForm):
    """A button-only form (acknowledge, start, close, resume, log out): just the CSRF token."""


class ResolveForm(FlaskForm):
    root_cause = SelectField("Root cause", validators=[DataRequired()])
    resolution_note = TextAreaField("Resolution note", validators=[DataRequired(), TEXT])


class WaitForm(FlaskForm):
    note = TextAreaField("What the customer was asked (optional)", validators=[Optional(), TEXT])


class ReopenForm(FlaskForm):
    to = SelectField(
        "Reopen as", choices=choices((CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS))
    )
    reason = TextAreaField("Reason", validators=[DataRequired(), TEXT])


class AssignForm(FlaskForm):
    # Picked from the desk's users and teams; the desk checks the choice with its own messages.
    assignee = SelectField(
        "Person", validators=[Optional(), Email(), Length(max=320)], validate_choice=False
    )
    team = SelectField("Team", validators=[Optional(), Length(max=100)], validate_choice=False)


class NoteForm(FlaskForm):
    body = TextAreaField("Internal note", validators=[DataRequired(), TEXT])


class ContactForm(FlaskForm):
    channel = SelectField("Channel", choices=choices(ContactChannel))
    outcome = SelectField("Outcome", choices=choices(ContactOutcome))
    note = TextAreaField("What was said", validators=[Optional(), TEXT])


class TouchpointForm(FlaskForm):
    # The desk checks the choice against the routing file, with the API's own messages.
    touchpoint = SelectField("Touchpoint", validators=[DataRequired()], validate_choice=False)
    note = TextAreaField("Why (optional)", validators=[Optional(), TEXT])


class SnoozeForm(FlaskForm):
    # The page's two buttons send until=1h or until=tomorrow, as the alert's buttons do.
    until = SelectField(
        "Snooze", choices=[SelectChoice("1h", "1 hour"), SelectChoice("tomorrow", "tomorrow 09:00")]
    )


ACTION_FORMS: dict[str, type[FlaskForm]] = {
    "acknowledge": PlainForm,
    "take": PlainForm,
    "snooze": SnoozeForm,
    "start": PlainForm,
    "close": PlainForm,
    "resolve": ResolveForm,
    "reopen": ReopenForm,
    "assign": AssignForm,
    "notes": NoteForm,
    "contacts": ContactForm,
    "touchpoint": TouchpointForm,
    "wait": WaitForm,
    "resume": PlainForm,
}


class PersonForm(FlaskForm):
    """An admin adds someone: they log in with this first password and change it."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=320)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=choices(Role), default=Role.VIEWER)  # the least access
    team = SelectField("Team", validators=[Optional(), Length(max=100)], validate_choice=False)
    password = PasswordField("First password", validators=[DataRequired(), Length(max=500)])


class PasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=500)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=choices(Role))


class TeamForm(FlaskForm):
    team = SelectField("Team", validators=[Optional(), Length(max=100)], validate_choice=False)


class TokensForm(FlaskForm):
    name = StringField("Token name (empty: all)", validators=[Optional(), Length(max=100)])


PERSON_FORMS: dict[str, type[FlaskForm]] = {
    "disable": PlainForm,
    "enable": PlainForm,
    "end_sessions": PlainForm,
    "revoke_tokens": TokensForm,
    "set_password": PasswordForm,
    "set_role": RoleForm,
    "set_team": TeamForm,
}
