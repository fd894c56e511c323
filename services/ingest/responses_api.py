"""GET /v1/responses: every stored response and what the router decided, case or not."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from marshmallow import Schema, ValidationError, fields

from services.ingest.auth import Scope, protect
from services.ingest.context import ingest
from shared.logs import redact
from shared.openapi import documented
from shared.responses import BadCursor, ResponseQuerySchema, ResponseRow, list_responses

# Responses carry customers' comments: the same scope as reading cases.
bp = protect(Blueprint("response_list", __name__, url_prefix="/v1"), Scope.CASES_READ)
EXCERPT = 280


class DecisionSchema(Schema):
    dissatisfied = fields.Boolean()
    reasons = fields.List(fields.String())
    priority = fields.String(allow_none=True)
    touchpoint = fields.String()
    explanation = fields.String()
    disagreement = fields.String(allow_none=True)


class ResponseListItemSchema(Schema):
    """One response as listed, with the decision and its case (if any)."""

    id = fields.Function(lambda row: row.response.id)
    source = fields.Function(lambda row: row.response.source)
    response_id = fields.Function(lambda row: row.response.external_id)
    submitted_at = fields.Function(lambda row: row.response.submitted_at.isoformat())
    received_at = fields.Function(lambda row: row.response.received_at.isoformat())
    touchpoint = fields.String(allow_none=True)
    scores = fields.Function(
        lambda row: {"nps": row.response.nps, "csat": row.response.csat, "ces": row.response.ces}
    )
    comment_excerpt = fields.Function(lambda row: (row.response.comment or "")[:EXCERPT])
    outcome = fields.String(metadata={"description": "case | not a case | not routed yet | ..."})
    decision = fields.Function(lambda row: _decision(row))
    routing_error = fields.Function(
        lambda row: redact(row.response.routing_error) if row.response.routing_error else None
    )
    case = fields.Function(
        lambda row: {"id": row.case_id, "status": row.case_status} if row.case_id else None
    )


class ResponsePage(Schema):
    items = fields.List(fields.Nested(ResponseListItemSchema))
    next_cursor = fields.String(allow_none=True)


def _decision(row: ResponseRow) -> dict[str, Any] | None:
    stored = row.response.decision
    return DecisionSchema().dump(stored) if isinstance(stored, dict) else None


@bp.get("/responses")
@documented("List responses with the router's decision (`cases-read` scope)",
            query=ResponseQuerySchema, response=ResponsePage, errors=(401, 403, 503),
            tag="ingest", security=("ingestKey", "ingestKeyHeader"))  # fmt: skip
def responses_index() -> dict[str, Any]:
    """List responses newest first with the decision; filter by source, dates, outcome."""
    query = ResponseQuerySchema().load(request.args.to_dict())
    with ingest().sessions() as session:
        try:
            page = list_responses(session, query)
        except BadCursor as exc:
            raise ValidationError({"cursor": [str(exc)]}) from exc
        items = ResponseListItemSchema(many=True).dump(page.rows)
    return {"items": items, "next_cursor": page.next_cursor}
