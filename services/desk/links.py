"""One-click links in alert emails: a confirmation page, then the action, each link once.

`GET /actions/<token>` only shows what the link would do, with a button: mail scanners and
link previews fetch links, and a fetch must change nothing. The button POSTs (with a CSRF
token) and the action runs as the desk user the alert was mailed to. A link expires after
CXLOOP_ACTION_LINK_TTL_S and works once; a refused link shows a page saying why and changes
nothing: 400 not a cxloop link, 410 expired or used, 404 no such case, 403 no desk user or
role, 409 the case's status no longer allows it, 422 a bad touchpoint.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden, HTTPException

from services.desk import context, flows, quick
from services.desk.access import can_change
from services.desk.forms import PlainForm
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.models import User
from services.desk.users import find_user
from shared import alert_actions as aa
from shared.models import Case
from shared.openapi import FORM, HTML, documented, form_schema

bp = Blueprint("desk_links", __name__, template_folder="templates")


class Refused(Exception):
    """The link cannot be used; `code` is the page's HTTP status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _check(token: str) -> tuple[aa.Link, User, Case]:
    """Verify the link and who and what it names; raise `Refused` when it cannot be used."""
    settings = context.desk().settings
    try:
        link = aa.read_link(
            current_app.config["SECRET_KEY"], token, max_age=settings.action_link_ttl_s
        )
    except aa.LinkError as exc:
        raise Refused(410 if exc.expired else 400, str(exc)) from None
    session = context.db()
    if quick.used(session, _key(link)) is not None:
        raise Refused(410, "this link was already used; open the case to act on it again")
    user = find_user(session, email=link.email)
    if user is None or not user.active:
        raise Refused(403, f"{link.email} is not an active desk user, so the link cannot act")
    try:
        case = flows.visible_case(session, user=user, case_id=link.case_id, config=context.config())
    except HTTPException as exc:
        raise Refused(404, str(exc.description)) from None
    if not can_change(user, case, context.config()):
        raise Refused(403, "your desk role may not change this case")
    return link, user, case


def _key(link: aa.Link) -> str:
    return f"link:{link.nonce}"


def _refused(exc: Refused) -> ResponseReturnValue:
    return render_template("desk/error.html", code=exc.code, message=str(exc)), exc.code


@bp.get("/actions/<token>")
@documented("Confirm the action an alert's link offers (the signed token is the credential)",
            content_type=HTML, error_type=HTML, tag="pages", security=(),
            errors=(400, 403, 404, 409, 410, 422))  # fmt: skip
def confirm(token: str) -> ResponseReturnValue:
    """Show what the link will do and ask to confirm; nothing changes here."""
    try:
        link, user, case = _check(token)
    except Refused as exc:
        return _refused(exc)
    if not aa.offered(link.action, case.status):
        state = case.status.replace("_", " ")
        return _refused(Refused(409, f"case #{case.id} is {state}: {aa.LABELS[link.action]} "
                                     "no longer applies"))  # fmt: skip
    choices = [t for t in context.touchpoint_choices() if t != case.touchpoint]
    return render_template(
        "desk/alert_action.html", link=link, user=user, case=case, label=aa.LABELS[link.action],
        choices=choices, form=PlainForm(formdata=None), done=None,
    )  # fmt: skip


@bp.post("/actions/<token>")
@documented("Do the action an alert's link offers, once", content_type=HTML, error_type=HTML,
            body=form_schema(PlainForm) | {"properties": {"csrf_token": {"type": "string"},
                                                          "touchpoint": {"type": "string"}}},
            body_type=FORM, tag="pages", security=(), extra={303: "done"},
            errors=(400, 403, 404, 409, 410, 422))  # fmt: skip
def perform(token: str) -> ResponseReturnValue:
    """Do what the link says, once, as the person it was sent to."""
    form = PlainForm()
    if not form.validate():
        return _refused(Refused(400, "the form expired or was not sent from this page; "
                                     "open the link again"))  # fmt: skip
    try:
        link, user, case = _check(token)
    except Refused as exc:
        return _refused(exc)
    session = context.db()
    try:
        outcome = quick.run(
            session, key=_key(link), user=user, case_id=case.id, action=link.action,
            touchpoint=request.form.get("touchpoint", ""), config=context.config(),
            now=context.now(), touchpoints=context.touchpoints,
        )  # fmt: skip
        session.commit()
    except (quick.AlreadyDone, IntegrityError):
        session.rollback()
        return _refused(Refused(410, "this link was already used"))
    except IllegalTransition as exc:
        session.rollback()
        return _refused(Refused(409, str(exc)))
    except InvalidCommand as exc:
        session.rollback()
        return _refused(Refused(422, str(exc)))
    except Forbidden:
        session.rollback()
        return _refused(Refused(403, "your desk role may not change this case"))
    context.after_commit(outcome)
    session.expire_all()
    done = _done(link, request.form.get("touchpoint", ""))
    return render_template(
        "desk/alert_action.html", link=link, user=user, case=case, label=aa.LABELS[link.action],
        choices=[], form=None, done=done,
    )  # fmt: skip


def _done(link: aa.Link, touchpoint: str) -> str:
    if link.action == aa.TOUCHPOINT:
        return f"Done: case #{link.case_id} is being moved to touchpoint {touchpoint}."
    return f"Done: you {aa.DID[link.action].replace('the case', f'case #{link.case_id}')}."


@bp.after_request
def _no_store(response: Response) -> Response:
    """A page reached through a signed link is kept in no cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _inject() -> dict[str, Any]:
    return {"logout_form": PlainForm(formdata=None), "current_user": current_user}
