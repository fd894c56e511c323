"""The desk's JSON API: queue, case detail, lifecycle actions, KPIs and CSV exports.

Authenticated with personal API tokens (`Authorization: Bearer cxd_...`); the token's user and
role decide what is visible and what may change, exactly as on the web pages.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Conflict, Forbidden, NotFound, Unauthorized, UnprocessableEntity

from services.desk import context, export, flows, kpis, present
from services.desk.access import kpi_scope
from services.desk.enums import Role
from services.desk.filters import kpi_period, query_args, queue_filter
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.models import User
from services.desk.queue import MAX_LIMIT, BadCursor, QueueFilter, facet_counts, page
from services.desk.schemas import (
    ACTION_SCHEMAS,
    CaseDetail,
    KpiQuery,
    KpisOut,
    QueuePage,
    QueueQuery,
)
from services.desk.silence_schemas import SilenceIn, SilenceList, SilenceOut, SilenceQuery
from services.desk.users import user_for_token
from shared import silences
from shared.errors import http_error
from shared.inputs import MAX_DEPTH, too_deep
from shared.models import Silence
from shared.openapi import documented

bp = Blueprint("desk_api", __name__)
EXPORT_CAP = 100_000
SILENCERS = (Role.ADMIN, Role.CHAMPION)
log = logging.getLogger(__name__)
GONE = "done; the case is no longer visible to you (it was assigned elsewhere)"


@bp.before_request
def require_token() -> None:
    """Reject the request with 401 unless it carries an active user's API token."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        session = context.db()
        user = user_for_token(session, token=token.strip(), now=context.now())
        session.commit()
    if user is None:
        raise Unauthorized(
            description="a valid desk API token is required (Authorization: Bearer cxd_...)",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "cxloop-desk"}),
        )
    g.desk_user = user


def current_user() -> User:
    """Return the authenticated user of this request."""
    return g.desk_user


def _args(schema: Any) -> dict[str, Any]:
    return schema.load(query_args(request.args))


def run_queue(data: dict[str, Any]) -> tuple[QueueFilter, Any]:
    """Build the filter and fetch one page; a bad cursor is a 422."""
    session = context.db()
    f = queue_filter(session, data, user=current_user(), config=context.config())
    try:
        return f, page(session, f, now=context.now(), config=context.config())
    except BadCursor as exc:
        raise http_error(UnprocessableEntity, str(exc), {"cursor": [str(exc)]}) from exc


@bp.get("/v1/desk/queue")
@documented("List cases with filters, search, sort, pages and counts", query=QueueQuery,
            response=QueuePage)  # fmt: skip
def queue() -> dict[str, Any]:
    """List the cases the user may see."""
    data = _args(QueueQuery())
    f, result = run_queue(data)
    session = context.db()
    counts = (
        facet_counts(session, f, now=context.now(), config=context.config())
        if data["counts"]
        else {}
    )
    items = present.rows(session, result.rows, context.now())
    body = {"items": items, "next_cursor": result.next_cursor, "counts": counts}
    return QueuePage().dump(body)


def _detail(case_id: int) -> dict[str, Any]:
    """The case as the API shows it, for the current user."""
    session, config = context.db(), context.config()
    case = flows.visible_case(session, user=current_user(), case_id=case_id, config=config)
    return CaseDetail().dump(
        present.detail(
            session, case, config=config, now=context.now(),
            touchpoints=context.touchpoint_choices(),
        )
    )  # fmt: skip


@bp.get("/v1/desk/cases/<int:case_id>")
@documented("Everything about one case", response=CaseDetail)
def case_detail(case_id: int) -> dict[str, Any]:
    """Show one case with its response, routing, deliveries, timeline, notes and contacts."""
    return _detail(case_id)


def act(case_id: int, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run an action, commit, notify, and return the updated case; errors in the one shape."""
    session = context.db()
    try:
        outcome = flows.perform(
            session, user=current_user(), case_id=case_id, action=action, data=data,
            config=context.config(), now=context.now(), touchpoints=context.touchpoints,
        )  # fmt: skip
        session.commit()
    except IllegalTransition as exc:
        session.rollback()
        raise http_error(Conflict, str(exc)) from exc
    except InvalidCommand as exc:
        session.rollback()
        raise http_error(UnprocessableEntity, "the request is invalid", exc.errors) from exc
    except Exception:
        session.rollback()
        raise
    context.after_commit(outcome)
    session.expire_all()
    if not flows.still_visible(
        session, user=current_user(), case_id=case_id, config=context.config()
    ):
        # Reassigned away from the caller: the change worked, there is just nothing to show.
        return {"id": case_id, "visible": False, "message": GONE}
    return _detail(case_id)


# A correction is accepted here and applied by the router: 202, the case shows it pending.
ACCEPTED = {"touchpoint": 202}
SUMMARIES = {
    "touchpoint": "Correct a case's touchpoint: the router re-routes it to its owner",
    "take": "Take a case: assign it to yourself, acknowledging it if it is new",
    "snooze": "Snooze a case's reminders (escalation waits; the SLA deadlines stay)",
    "wait": "Wait on the customer: the resolve clock pauses until they answer or you resume",
    "resume": "Stop waiting on the customer: the resolve deadline moves on by the time waited",
}


def read_body() -> Any:
    """Return the JSON body ({} if empty); 422 if it is not JSON or is nested absurdly deep."""
    data = request.get_data(cache=False)
    if not data:
        return {}
    try:
        body = json.loads(data) if request.is_json else None
    except (ValueError, RecursionError):
        body = None
    if body is None:
        raise http_error(UnprocessableEntity, "the body must be a JSON object")
    if too_deep(body):
        raise http_error(UnprocessableEntity, f"JSON nested more than {MAX_DEPTH} levels deep")
    return body


def _action_view(action: str) -> Any:
    schema = ACTION_SCHEMAS[action]
    status = ACCEPTED.get(action, 200)

    def view(case_id: int) -> tuple[dict[str, Any], int]:
        return act(case_id, action, schema().load(read_body())), status

    view.__name__ = f"case_{action}"
    view.__doc__ = f"{action.capitalize()} a case."
    errors = (401, 403, 404, 409) if action not in ("notes", "contacts") else (401, 403, 404)
    summary = SUMMARIES.get(action, f"{action.capitalize()} a case")
    return documented(summary, body=schema, response=CaseDetail, errors=errors,
                      status=status)(view)  # fmt: skip


for _action in flows.ACTIONS:
    bp.add_url_rule(
        f"/v1/cases/<int:case_id>/{_action}", view_func=_action_view(_action), methods=["POST"]
    )


@bp.get("/v1/desk/kpis")
@documented("KPI tables for a period, by touchpoint or owner", query=KpiQuery, response=KpisOut)
def kpi_tables() -> dict[str, Any]:
    """Compute every KPI table for the period."""
    data = _args(KpiQuery())
    now = context.now()
    period = kpi_period(data, now.date())
    scope = kpi_scope(current_user(), context.config())
    tables = kpis.all_tables(context.db(), period, data["by"], now, scope)
    return KpisOut().dump({"start": period.start, "end": period.end, "by": data["by"],
                           "tables": [t.__dict__ for t in tables]})  # fmt: skip


def all_matching(f: QueueFilter) -> Iterator[dict[str, Any]]:
    """Every case matching a filter, page by page (capped)."""
    session, config, now = context.db(), context.config(), context.now()
    f = replace(f, limit=MAX_LIMIT, cursor=None)
    seen = 0
    while seen < EXPORT_CAP:
        result = page(session, f, now=now, config=config)
        yield from present.rows(session, result.rows, now)
        seen += len(result.rows)
        if result.next_cursor is None:
            return
        f = replace(f, cursor=result.next_cursor)


def csv_response(text: str, filename: str) -> Response:
    """Return CSV as a download."""
    return Response(
        text, mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


@bp.get("/v1/desk/exports/cases.csv")
@documented("Cases matching the queue filters, as CSV", query=QueueQuery, content_type="text/csv")
def export_cases() -> Response:
    """Export the filtered cases."""
    f = queue_filter(
        context.db(), _args(QueueQuery()), user=current_user(), config=context.config()
    )
    return csv_response(export.cases_csv(context.db(), list(all_matching(f))), "cases.csv")


@bp.get("/v1/desk/exports/kpis/<name>.csv")
@documented("One KPI table as CSV", query=KpiQuery, content_type="text/csv",
            path={"name": {"type": "string", "enum": list(kpis.TABLES)}})  # fmt: skip
def export_kpi(name: str) -> Response:
    """Export one KPI table."""
    if name not in kpis.TABLES:
        raise NotFound(f"no KPI table {name!r}; try one of {', '.join(kpis.TABLES)}")
    data = _args(KpiQuery())
    now = context.now()
    scope = kpi_scope(current_user(), context.config())
    table = kpis.TABLES[name](context.db(), kpi_period(data, now.date()), data["by"], now, scope)
    return csv_response(export.table_csv(table), f"{name}.csv")


def _silence_out(silence: Silence) -> dict[str, Any]:
    return SilenceOut().dump(silence) | {"state": silences.state(silence, context.now())}


def _may_silence() -> None:
    if current_user().role not in SILENCERS:
        raise http_error(Forbidden, "only champions and admins create or expire silences")


@bp.get("/v1/silences")
@documented("List silences (not yet over, or all with expired=true)", query=SilenceQuery,
            response=SilenceList, errors=(401,), tag="silences")  # fmt: skip
def list_silences() -> dict[str, Any]:
    """Every silence not yet over, newest first."""
    data = _args(SilenceQuery())
    found = silences.listed(context.db(), now=context.now(), include_expired=data["expired"])
    return {"items": [_silence_out(s) for s in found]}


@bp.post("/v1/silences")
@documented("Create a silence: matching cases are opened and counted, nobody is paged",
            body=SilenceIn, response=SilenceOut, errors=(401, 403, 422), tag="silences",
            status=201)  # fmt: skip
def create_silence() -> tuple[dict[str, Any], int]:
    """Create a silence; its matchers use the routing labels (touchpoint, priority, ...)."""
    _may_silence()
    data = SilenceIn().load(read_body())
    session = context.db()
    new = silences.NewSilence(
        matchers=tuple(data["matchers"]), ends_at=data["ends_at"], comment=data["comment"],
        created_by=current_user().email, starts_at=data.get("starts_at"),
    )  # fmt: skip
    try:
        silence = silences.create(session, new, now=context.now())
    except silences.SilenceError as exc:
        session.rollback()
        raise http_error(UnprocessableEntity, str(exc), {exc.field: [str(exc)]}) from exc
    session.commit()
    log.info("silence created", extra={"silence_id": silence.id, "by": silence.created_by})
    return _silence_out(silence), 201


@bp.delete("/v1/silences/<int:silence_id>")
@documented("Expire a silence now", response=SilenceOut, errors=(401, 403, 404),
            tag="silences")  # fmt: skip
def expire_silence(silence_id: int) -> dict[str, Any]:
    """End a silence early; expiring one already over changes nothing."""
    _may_silence()
    session = context.db()
    try:
        silence = silences.expire(session, silence_id, by=current_user().email, now=context.now())
    except LookupError as exc:
        raise NotFound(str(exc)) from exc
    session.commit()
    log.info("silence expired", extra={"silence_id": silence_id, "by": current_user().email})
    return _silence_out(silence)
