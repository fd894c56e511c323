"""The customer's answer page for a "did we fix it?" question, reached from the email's link.

`GET /follow-up/<token>` shows the question with its number buttons and changes nothing (mail
scanners and link previews fetch links); pressing a number POSTs it, with a CSRF token, and the
answer is recorded on the case once. `/follow-up/<token>/opt-out` asks to confirm, then records
that the customer is never asked again. A refused link changes nothing and says why: 400 not a
link of ours or a form not sent from the page, 404 no such question, 410 expired or answered,
422 not an answer on the question's scale.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from services.desk import context
from services.desk.forms import PlainForm
from services.desk.openapi import FORM, HTML, documented
from shared.followups import links, policy
from shared.followups import service as followups
from shared.followups.models import FollowUp, FollowUpStatus

bp = Blueprint("desk_answers", __name__, template_folder="templates")
TITLE = "Did we fix it?"
ERRORS = (400, 404, 410, 422)


class Refused(Exception):
    """The link or the answer cannot be used; `code` is the page's HTTP status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _follow_up(token: str, kind: str) -> FollowUp:
    config = context.config().follow_up
    expiry = config.link_expiry if kind == links.ANSWER else config.opt_out_expiry
    secret = current_app.config["SECRET_KEY"]
    try:
        link = links.read(secret, token, kind=kind, max_age=expiry.total_seconds())
    except links.LinkError as exc:
        raise Refused(410 if exc.expired else 400, str(exc)) from None
    follow_up = context.db().get(FollowUp, link.follow_up_id)
    if follow_up is None:
        raise Refused(404, "this question no longer exists")
    return follow_up


def _open(follow_up: FollowUp) -> None:
    if follow_up.status == FollowUpStatus.ANSWERED:
        raise Refused(410, "this question was already answered: thank you")
    if follow_up.status != FollowUpStatus.SENT:
        raise Refused(404, "this question is not open for answers")


def _page(code: int = 200, **values: Any) -> ResponseReturnValue:
    values.setdefault("title", TITLE)
    return render_template("desk/follow_up.html", **values), code


def _refused(exc: Refused) -> ResponseReturnValue:
    return _page(exc.code, error=str(exc))


def _csrf() -> None:
    if not PlainForm().validate():
        raise Refused(400, "the form expired or was not sent from this page; open the link again")


@bp.get("/follow-up/<token>")
@documented("Show a follow-up question to the customer (the signed token is the credential)",
            content_type=HTML, error_type=HTML, tag="pages", security=(),
            query={"score": {"type": "integer", "minimum": 0, "maximum": 10}},
            errors=ERRORS)  # fmt: skip
def question(token: str) -> ResponseReturnValue:
    """Show the question and its number buttons; nothing is recorded here."""
    try:
        follow_up = _follow_up(token, links.ANSWER)
        _open(follow_up)
        config = context.config().follow_up
        asked = request.args.get("score")
        try:
            chosen = None if asked is None else policy.read_score(asked, config, follow_up.scale)
        except ValueError as exc:
            raise Refused(422, str(exc)) from None
    except Refused as exc:
        return _refused(exc)
    opt_out = links.sign(current_app.config["SECRET_KEY"], follow_up_id=follow_up.id,
                         kind=links.OPT_OUT)  # fmt: skip
    return _page(config=config, chosen=chosen, form=PlainForm(formdata=None),
                 opt_out_url=url_for("desk_answers.opt_out_page", token=opt_out))  # fmt: skip


@bp.post("/follow-up/<token>")
@documented("Record the customer's answer to a follow-up question, once", content_type=HTML,
            error_type=HTML, tag="pages", security=(), body_type=FORM,
            body={"type": "object", "required": ["csrf_token", "score"],
                  "properties": {"csrf_token": {"type": "string"},
                                 "score": {"type": "integer", "minimum": 0, "maximum": 10}}},
            errors=ERRORS)  # fmt: skip
def answer(token: str) -> ResponseReturnValue:
    """Record the pressed number on the case; a second answer is refused."""
    session = context.db()
    try:
        _csrf()
        follow_up = _follow_up(token, links.ANSWER)
        _open(follow_up)
        config = context.config().follow_up
        try:
            score = policy.read_score(request.form.get("score"), config, follow_up.scale)
        except ValueError as exc:
            raise Refused(422, str(exc)) from None
        followups.record_answer(
            session, follow_up_id=follow_up.id, score=score, now=context.now(),
            satisfied=policy.is_satisfied(score, config, follow_up.scale),
        )  # fmt: skip
        session.commit()
    except followups.NotOpen:
        session.rollback()
        return _refused(Refused(410, "this question was already answered: thank you"))
    except Refused as exc:
        session.rollback()
        return _refused(exc)
    return _page(done="Thank you: your answer was recorded.")


@bp.get("/follow-up/<token>/opt-out")
@documented("Ask the customer to confirm they want no more follow-up questions",
            content_type=HTML, error_type=HTML, tag="pages", security=(),
            errors=(400, 404, 410))  # fmt: skip
def opt_out_page(token: str) -> ResponseReturnValue:
    """Show the opt-out button; nothing is recorded here."""
    try:
        _follow_up(token, links.OPT_OUT)
    except Refused as exc:
        return _refused(exc)
    return _page(title="No more questions", opt_out=True, form=PlainForm(formdata=None))


@bp.post("/follow-up/<token>/opt-out")
@documented("Record that the customer wants no more follow-up questions", content_type=HTML,
            error_type=HTML, tag="pages", security=(), body_type=FORM,
            body={"type": "object", "required": ["csrf_token"],
                  "properties": {"csrf_token": {"type": "string"}}},
            errors=(400, 404, 409, 410))  # fmt: skip
def opt_out(token: str) -> ResponseReturnValue:
    """Never ask this customer again (a second press changes nothing)."""
    session = context.db()
    try:
        _csrf()
        follow_up = _follow_up(token, links.OPT_OUT)
        followups.opt_out(session, follow_up_id=follow_up.id, now=context.now())
        session.commit()
    except Refused as exc:
        session.rollback()
        return _refused(exc)
    except IntegrityError:
        session.rollback()
        return _refused(Refused(409, "your choice was being saved twice at once; try again"))
    return _page(title="No more questions",
                 done="Done: we will not ask you questions like this one again.")  # fmt: skip


@bp.after_request
def _no_store(response: Response) -> Response:
    """A page reached through a signed link is kept in no cache."""
    response.headers["Cache-Control"] = "no-store"
    return response
