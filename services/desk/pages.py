"""The desk's web pages: log-in, queue, case page with its action forms, KPI dashboard."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from services.desk import context, export, flows, kpis, options, present
from services.desk import dashboard as dashboard_content
from services.desk.access import READ_ALL, can_change, kpi_scope
from services.desk.filters import (
    kpi_period,
    load_leniently,
    load_strictly,
    query_args,
    queue_filter,
)
from services.desk.forms import (
    ACTION_FORMS,
    AssignForm,
    LoginForm,
    PlainForm,
    ResolveForm,
    SilenceForm,
    TouchpointForm,
    choices,
)
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.models import User
from services.desk.queue import BadCursor, facet_counts, page
from services.desk.schemas import KpiQuery, QueueQuery
from services.desk.users import authenticate, revoke_sessions, session_user
from services.desk.views import csv_response
from shared import silences
from shared.deliveries import requeue_failed
from shared.openapi import FORM, HTML, documented, form_schema
from shared.responses import BadCursor as BadResponseCursor
from shared.responses import ResponseQuerySchema, list_responses

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


DONE = {
    "touchpoint": "Touchpoint corrected: the case is being re-routed to its new owner.",
    "wait": "Waiting on the customer: the resolve clock is paused until they answer or you resume.",
    "resume": "Resumed: the resolve deadline moved on by the working time the case waited.",
    "take": "You took the case: it is assigned to you.",
    "snooze": "Snoozed: the reminders wait; the SLA deadlines stay.",
}


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


@bp.get("/queue")
@html_page("The queue page (bad filters are named and ignored: 422)", query=QueueQuery)
def queue() -> ResponseReturnValue:
    """The queue page: filters, counts, one page of cases; bad filters are named and ignored."""
    session, config = context.db(), context.config()
    args = query_args(request.args)
    data, notices = load_leniently(QueueQuery(), args)
    f = queue_filter(session, data, user=current_user, config=config)
    try:
        result = page(session, f, now=context.now(), config=config)
    except BadCursor as exc:
        notices.append(f"The page link was not understood ({exc}); showing the first page.")
        args.pop("cursor", None)
        f = replace(f, cursor=None)
        result = page(session, f, now=context.now(), config=config)
    counts = facet_counts(session, f, now=context.now(), config=config)
    kept = {k: v[-1] for k, v in args.items() if k != "cursor" and k in data}  # bad ones dropped
    return render_template(
        "desk/queue.html", items=present.rows(session, result.rows, context.now()),
        counts=counts, data=data, next_cursor=result.next_cursor, export_args=kept, notices=notices,
        options=options.Options.load(session, config),
    ), (422 if notices else 200)  # fmt: skip


@bp.get("/responses")
@html_page("Every response with the router's decision", query=ResponseQuerySchema, errors=(403,))
def responses() -> ResponseReturnValue:
    """Every response with the router's decision: why did this one (not) become a case?"""
    if current_user.role not in READ_ALL:
        abort(403, "the responses list is for champions, admins and viewers")
    given = {k: v for k, v in request.args.items() if v.strip()}
    try:
        data = ResponseQuerySchema().load(given)
        result = list_responses(context.db(), data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{name.replace('_', ' ')}: {' '.join(map(str, why))}"
            for name, why in exc.normalized_messages().items()
        )
        return render_template("desk/responses.html", rows=[], data=given, next_cursor=None,
                               error=f"Check the filters: {problems}"), 422  # fmt: skip
    except BadResponseCursor:
        return render_template("desk/responses.html", rows=[], data=given, next_cursor=None,
                               error="That page link is no longer valid."), 422  # fmt: skip
    args = {k: v for k, v in given.items() if k != "cursor"}
    return render_template("desk/responses.html", rows=result.rows, data=args,
                           next_cursor=result.next_cursor, error=None)  # fmt: skip


def _case_page(case_id: int, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    session, config = context.db(), context.config()
    case = flows.visible_case(session, user=current_user, case_id=case_id, config=config)
    detail = present.detail(
        session, case, config=config, now=context.now(), touchpoints=context.touchpoint_choices()
    )
    forms = {name: form_type(formdata=None) for name, form_type in ACTION_FORMS.items()}
    resolve, correct, assign = forms["resolve"], forms["touchpoint"], forms["assign"]
    assert isinstance(resolve, ResolveForm) and isinstance(correct, TouchpointForm)
    assert isinstance(assign, AssignForm)
    resolve.root_cause.choices = choices(detail["root_causes"])
    correct.touchpoint.choices = choices(detail["touchpoint_choices"])
    pick = options.Options.load(session, config)
    assign.assignee.choices = [("", "— keep —"), *pick.people]
    assign.team.choices = [("", "— keep —"), *((t, t) for t in pick.teams)]
    writable = can_change(current_user, case, config)
    return render_template(
        "desk/case.html", case=detail, forms=forms, writable=writable, error=error,
        retry_form=PlainForm(formdata=None),
    ), status  # fmt: skip


@bp.get("/cases/<int:case_id>")
@html_page("The case page", errors=(404,))
def case_page(case_id: int) -> ResponseReturnValue:
    """The case page: response, analysis, routing, deliveries, timeline, and actions."""
    return _case_page(case_id)


@bp.post("/cases/<int:case_id>/<action>")
@form_post("Run one action from the case page's forms", *ACTION_FORMS.values(),
           path={"action": {"type": "string", "enum": list(ACTION_FORMS)}},
           errors=(400, 403, 404, 409, 422))  # fmt: skip
def case_action(case_id: int, action: str) -> ResponseReturnValue:
    """Run one action from the case page's forms."""
    if action not in ACTION_FORMS:
        abort(404)
    form = ACTION_FORMS[action]()
    if isinstance(form, ResolveForm):
        form.root_cause.choices = choices(context.config().root_causes_for(_touchpoint(case_id)))
    if not form.validate():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _case_page(case_id, 422, errors)
    data: dict[str, Any] = {k: v for k, v in form.data.items() if k != "csrf_token"}
    session = context.db()
    try:
        outcome = flows.perform(
            session, user=current_user, case_id=case_id, action=action, data=data,
            config=context.config(), now=context.now(), touchpoints=context.touchpoints,
        )  # fmt: skip
        session.commit()
    except IllegalTransition as exc:
        session.rollback()
        return _case_page(case_id, 409, str(exc))
    except InvalidCommand as exc:
        session.rollback()
        return _case_page(case_id, 422, str(exc))
    context.after_commit(outcome)
    session.expire_all()
    if not flows.still_visible(
        session, user=current_user, case_id=case_id, config=context.config()
    ):
        flash(f"Case #{case_id} was assigned; it is no longer in your view.", "ok")
        return redirect(url_for("desk_pages.queue"), 303)
    flash(DONE.get(action) or f"Done: {action.replace('_', ' ')}.", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id), 303)


@bp.post("/cases/<int:case_id>/deliveries/<int:delivery_id>/retry")
@form_post("Send a failed alert again", PlainForm, errors=(400, 403, 404))
def retry_delivery(case_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a failed alert again, with a fresh retry budget (after its channel is fixed)."""
    session, config = context.db(), context.config()
    case = flows.visible_case(session, user=current_user, case_id=case_id, config=config)
    if not can_change(current_user, case, config):
        abort(403)
    ids = requeue_failed(
        session, now=context.now(), actor=current_user.email, delivery_ids=[delivery_id],
        case_id=case_id,
    )  # fmt: skip
    session.commit()
    context.notify(ids)
    flash("The alert will be sent again." if ids else "That alert has not failed.", "ok")
    return redirect(url_for("desk_pages.case_page", case_id=case_id), 303)


SILENCERS = ("admin", "champion")


@bp.route("/silences", methods=["GET", "POST"])
@html_page("Silences; posting the form adds one (champions, admins)",
           body=form_schema(SilenceForm), body_type=FORM, errors=(400, 403),
           extra={**LOGIN_REDIRECT, 303: "created"})  # fmt: skip
def silences_page() -> ResponseReturnValue:
    """Silences: who muted what, until when and why; champions and admins add and expire them."""
    form = SilenceForm()
    session, now = context.db(), context.now()
    if request.method == "POST":
        if current_user.role not in SILENCERS:
            abort(403, "only champions and admins create silences")
        if form.validate():
            new = silences.NewSilence(
                matchers=tuple(line.strip() for line in (form.matchers.data or "").splitlines()
                               if line.strip()),
                ends_at=now + timedelta(hours=int(form.hours.data or 4)),
                comment=form.comment.data or "", created_by=current_user.email,
            )  # fmt: skip
            try:
                silence = silences.create(session, new, now=now)
            except silences.SilenceError as exc:
                session.rollback()
                form.form_errors.append(f"{exc.field}: {exc}")
            else:
                session.commit()
                flash(f"Silence #{silence.id} created: nobody is paged for matching cases.", "ok")
                return redirect(url_for("desk_pages.silences_page"), 303)
    shown = silences.listed(session, now=now, include_expired=True)[:200]
    return render_template(
        "desk/silences.html", form=form, silences=shown, now=now, state=silences.state,
        expire_form=PlainForm(formdata=None), may_change=current_user.role in SILENCERS,
    ), (422 if form.errors or form.form_errors else 200)  # fmt: skip


@bp.post("/silences/<int:silence_id>/expire")
@form_post("End a silence now (champions, admins)", PlainForm, errors=(400, 403, 404))
def expire_silence(silence_id: int) -> ResponseReturnValue:
    """End a silence now."""
    if current_user.role not in SILENCERS:
        abort(403, "only champions and admins expire silences")
    session = context.db()
    try:
        silences.expire(session, silence_id, by=current_user.email, now=context.now())
    except LookupError:
        abort(404, f"no silence #{silence_id}")
    session.commit()
    flash(f"Silence #{silence_id} expired: matching cases page their owners again.", "ok")
    return redirect(url_for("desk_pages.silences_page"), 303)


def _touchpoint(case_id: int) -> str:
    case = flows.visible_case(
        context.db(), user=current_user, case_id=case_id, config=context.config()
    )
    return case.touchpoint


@bp.get("/dashboard")
@html_page("KPIs with charts (bad filters are named and ignored: 422)", query=KpiQuery)
def dashboard() -> ResponseReturnValue:
    """KPIs with charts for a period, by touchpoint or owner."""
    data, notices = load_leniently(KpiQuery(), query_args(request.args))
    for notice in notices:
        flash(notice, "error")
    now = context.now()
    period = kpi_period(data, now.date())
    scope = kpi_scope(current_user, context.config())
    tables = {t.name: t for t in kpis.all_tables(context.db(), period, data["by"], now, scope)}
    return render_template(
        "desk/dashboard.html", tables=tables, period=period, by=data["by"],
        previous=period.previous(), tiles=dashboard_content.tiles(tables["headline"]),
        charts=dashboard_content.chart_set(tables, period, data["by"]),
        args={"start": period.start, "end": period.end, "by": data["by"]},
    ), (422 if notices else 200)  # fmt: skip


@bp.get("/exports/cases.csv")
@html_page("The queue's cases as CSV", query=QueueQuery, content_type="text/csv")
def export_cases() -> ResponseReturnValue:
    """The queue's cases as CSV (every page)."""
    from services.desk.views import all_matching

    data = load_strictly(QueueQuery(), query_args(request.args))
    f = queue_filter(context.db(), data, user=current_user, config=context.config())
    return csv_response(export.cases_csv(context.db(), list(all_matching(f))), "cases.csv")


@bp.get("/exports/kpis/<name>.csv")
@html_page("One KPI table as CSV", query=KpiQuery, content_type="text/csv", errors=(404,),
      path={"name": {"type": "string", "enum": list(kpis.TABLES)}})  # fmt: skip
def export_kpi(name: str) -> ResponseReturnValue:
    """One KPI table as CSV."""
    if name not in kpis.TABLES:
        abort(404, f"There is no KPI table “{name}”; the tables are: {', '.join(kpis.TABLES)}.")
    data = load_strictly(KpiQuery(), query_args(request.args))
    now = context.now()
    scope = kpi_scope(current_user, context.config())
    table = kpis.TABLES[name](context.db(), kpi_period(data, now.date()), data["by"], now, scope)
    return csv_response(export.table_csv(table), f"{name}.csv")


@bp.context_processor
def _inject() -> dict[str, Any]:
    return {
        "logout_form": PlainForm(formdata=None),
        "current_user": current_user,
        "disagreement_text": present.DISAGREEMENT_TEXT,
    }
