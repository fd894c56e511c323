"""The desk pages' blueprint: log-in and log-out, the guard and error pages every page shares.

Each group of pages adds its routes to `bp` from its own module (queue_pages, case_pages,
dashboard_pages, silence_pages, incident_pages, people_pages), described by `html_page` and
`form_post`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from services.desk import context, present
from services.desk.forms import LoginForm, PlainForm
from services.desk.models import User
from services.desk.users import authenticate, revoke_sessions, session_user
from shared.openapi import FORM, HTML, documented, form_schema

bp = Blueprint(
    "desk_pages", __name__, template_folder="templates", static_folder="static",
    static_url_path="/desk-static",
)  # fmt: skip
PUBLIC = ("desk_pages.login", "desk_pages.static")
LOGIN_REDIRECT = {302: "not logged in: redirected to the log-in page"}


def html_page(summary: str, **meta: Any) -> Any:
    """Describe a page in the OpenAPI document: HTML, behind the session cookie."""
    meta = {"content_type": HTML, "error_type": HTML, "tag": "pages", "security": ("session",),
            "errors": (), "extra": LOGIN_REDIRECT} | meta  # fmt: skip
    return documented(summary, **meta)


def form_post(summary: str, *forms: type, **meta: Any) -> Any:
    """Describe a form post: form-encoded, CSRF-checked (400 without a valid token)."""
    meta = {"status": 303, "extra": {**LOGIN_REDIRECT, 303: "done: on to the next page"},
            "errors": (400,)} | meta  # fmt: skip
    return html_page(summary, body=form_schema(*forms), body_type=FORM, **meta)


def init_login(app: Flask) -> None:
    """Set up sessions for people: who is logged in is looked up on each request."""
    manager = LoginManager(app)
    manager.login_view = "desk_pages.login"
    manager.session_protection = "strong"

    @manager.user_loader
    def load(session_id: str) -> User | None:
        return session_user(context.db(), session_id)


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """Check CSRF on every write, and send anonymous visitors to the log-in page."""
    if request.method == "POST":
        current_app.extensions["desk_csrf"].protect()
    if request.endpoint not in PUBLIC and not current_user.is_authenticated:
        return redirect(url_for("desk_pages.login", next=request.full_path))
    return None


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> ResponseReturnValue:
    """A write without a valid CSRF token is refused, with a page saying why."""
    return render_template("desk/error.html", code=400, message=error.description), 400


@bp.errorhandler(HTTPException)
def page_error(error: HTTPException) -> ResponseReturnValue:
    """Errors on pages are pages, not JSON."""
    return render_template(
        "desk/error.html", code=error.code, message=error.description
    ), error.code or 500


def _safe_next(target: str | None) -> str:
    """Return `next=` if it is a path on this site, else the queue."""
    # No host, no control characters (a CR/LF would split the Location header), no backslash
    # (browsers read "/\\host" as "//host").
    if (
        target
        and target.startswith("/")
        and "//" not in target
        and not urlsplit(target).netloc
        and not any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return target
    return url_for("desk_pages.queue")


@bp.route("/login", methods=["GET", "POST"])
@html_page("The log-in page; posting it logs in", security=(), query={"next": {"type": "string"}},
      body=form_schema(LoginForm), body_type=FORM, errors=(400, 401, 429),
      extra={303: "logged in: on to `next` (a path on this site) or the queue"})  # fmt: skip
def login() -> ResponseReturnValue:
    """Log in with email and password; too many failures lock the account and the address."""
    form = LoginForm()
    if form.validate_on_submit():
        email, address = form.email.data or "", request.remote_addr or "unknown"
        throttle = context.desk().throttle
        wait = throttle.wait(email=email, address=address)
        if wait:
            return _throttled(form, wait)
        session = context.db()
        user = authenticate(
            session, email=email, password=form.password.data or "", now=context.now()
        )
        session.commit()
        if user is not None:
            throttle.succeeded(email=email, address=address)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        locked = throttle.failed(email=email, address=address)
        if locked:
            return _throttled(form, locked)
        flash("Email or password is wrong.", "error")
        return render_template("desk/login.html", form=form), 401
    return render_template("desk/login.html", form=form)


def _throttled(form: LoginForm, wait: int) -> ResponseReturnValue:
    minutes = max(1, -(-wait // 60))
    flash(
        f"Too many failed log-ins. Log-in is locked; try again in {minutes} minute"
        f"{'s' if minutes > 1 else ''}.",
        "error",
    )
    page = render_template("desk/login.html", form=form)
    return page, 429, {"Retry-After": str(wait)}


@bp.post("/logout")
@form_post("Log out, ending every session of this user", PlainForm, extra={303: "to log-in"})
def logout() -> ResponseReturnValue:
    """Log out, ending every session of this user (a copied cookie stops working too)."""
    if current_user.is_authenticated:
        session = context.db()
        user = session.get(User, current_user.id)
        if user is not None:
            revoke_sessions(user)
            session.commit()
    logout_user()
    return redirect(url_for("desk_pages.login"), 303)


@bp.get("/")
@html_page("The desk's home: redirects to the queue", status=302)
def home() -> ResponseReturnValue:
    """The queue is the desk's home."""
    return redirect(url_for("desk_pages.queue"))


@bp.context_processor
def _inject() -> dict[str, Any]:
    return {
        "logout_form": PlainForm(formdata=None),
        "current_user": current_user,
        "disagreement_text": present.DISAGREEMENT_TEXT,
    }
