"""The queue page, the responses list and the queue's CSV export.

Routes join the desk pages' blueprint (log-in and CSRF checked there).
"""

from __future__ import annotations

from dataclasses import replace

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from services.desk import context, export, options, present
from services.desk.access import READ_ALL
from services.desk.filters import load_leniently, load_strictly, query_args, queue_filter
from services.desk.pages import bp, html_page
from services.desk.queue import BadCursor, facet_counts, page
from services.desk.schemas import QueueQuery
from services.desk.views import all_matching, csv_response
from shared.responses import BadCursor as BadResponseCursor
from shared.responses import ResponseQuerySchema, list_responses


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


@bp.get("/exports/cases.csv")
@html_page("The queue's cases as CSV", query=QueueQuery, content_type="text/csv")
def export_cases() -> ResponseReturnValue:
    """The queue's cases as CSV (every page)."""
    data = load_strictly(QueueQuery(), query_args(request.args))
    f = queue_filter(context.db(), data, user=current_user, config=context.config())
    return csv_response(export.cases_csv(context.db(), list(all_matching(f))), "cases.csv")
