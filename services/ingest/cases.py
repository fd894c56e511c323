"""GET /v1/cases and /v1/cases/<id>: read the case queue (the desk has its own UI)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from werkzeug.exceptions import NotFound

from services.ingest.auth import Scope, protect
from services.ingest.context import ingest
from services.ingest.service import OPEN, get_case, list_cases
from shared.case_schemas import CaseCore, DeliveryCore
from shared.enums import CaseStatus
from shared.errors import http_error
from shared.inputs import unstorable
from shared.logs import redact
from shared.models import Response
from shared.openapi import documented
from shared.redaction import public_target, scrub

bp = protect(Blueprint("cases", __name__, url_prefix="/v1"), Scope.CASES_READ)

MAX_ID = 2**31 - 1  # the id columns' range; larger ids cannot exist
EXCERPT = 280


def _storable(text: str) -> None:
    if unstorable(text):
        raise ValidationError("must not contain NUL characters")


class CaseQuerySchema(Schema):
    """Filters and paging of the case list; unknown parameters are rejected so typos surface."""

    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf([OPEN, *CaseStatus]))
    owner = fields.String(validate=[validate.Length(1, 100), _storable])
    touchpoint = fields.String(validate=[validate.Length(1, 100), _storable])
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=[validate.Length(1, 500), _storable])


def _scores(response: Response) -> dict[str, int | None]:
    return {"nps": response.nps, "csat": response.csat, "ces": response.ces}


class ResponseSummarySchema(Schema):
    id = fields.Integer()
    source = fields.String()
    response_id = fields.String(attribute="external_id")
    submitted_at = fields.DateTime()
    scores = fields.Function(_scores)
    comment_excerpt = fields.Function(lambda r: r.comment[:EXCERPT])


class ResponseDetailSchema(Schema):
    id = fields.Integer()
    source = fields.String()
    response_id = fields.String(attribute="external_id")
    submitted_at = fields.DateTime()
    received_at = fields.DateTime()
    respondent = fields.Function(
        lambda r: {"id": r.respondent_id, "email": r.respondent_email, "name": r.respondent_name}
    )
    touchpoint = fields.String(allow_none=True)
    scores = fields.Function(_scores)
    comment = fields.String()
    attributes = fields.Dict()


class DeliverySchema(DeliveryCore):
    target = fields.Function(lambda d: public_target(d.target))
    last_error = fields.Function(lambda d: redact(d.last_error) if d.last_error else None)
    due_at = fields.DateTime()


class EventSchema(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    detail = fields.Function(lambda e: scrub(e.detail))


class CaseSummarySchema(CaseCore):
    polarity = fields.Float(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    response = fields.Nested(ResponseSummarySchema)


class CaseDetailSchema(CaseSummarySchema):
    response = fields.Nested(ResponseDetailSchema)
    sentiment = fields.Function(
        lambda c: {
            "polarity": c.polarity,
            "subjectivity": c.subjectivity,
            "analysis": scrub(c.analysis),
        }
    )
    reasons = fields.Function(lambda c: scrub(c.reasons))
    touchpoints = fields.Function(lambda c: scrub(c.touchpoints))
    receivers = fields.Function(lambda c: scrub(c.receivers))
    deliveries = fields.List(fields.Nested(DeliverySchema))
    events = fields.List(fields.Nested(EventSchema))


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseSummarySchema))
    next_cursor = fields.String(allow_none=True)


INGEST_KEY = ("ingestKey", "ingestKeyHeader")


@bp.get("/cases")
@documented("List cases newest first (`cases-read` scope)", query=CaseQuerySchema,
            response=CasePageSchema, errors=(401, 403, 503), tag="cases",
            security=INGEST_KEY)  # fmt: skip
def cases_index() -> dict[str, Any]:
    """List cases newest first, filtered by status (or `open`), owner and touchpoint."""
    query = CaseQuerySchema().load(request.args.to_dict())
    with ingest().sessions() as session:
        try:
            page = list_cases(session, **query)
        except ValueError as exc:
            raise ValidationError({"cursor": [str(exc)]}) from exc
        items = CaseSummarySchema(many=True).dump(page.items)
    return {"items": items, "next_cursor": page.next_cursor}


@bp.get("/cases/<int:case_id>")
@documented("One case with its response, deliveries and events (`cases-read` scope)",
            response=CaseDetailSchema, errors=(401, 403, 404, 503), tag="cases",
            security=INGEST_KEY)  # fmt: skip
def case_detail(case_id: int) -> dict[str, Any]:
    """Show one case with its response, sentiment, reasons, receivers, deliveries and events."""
    with ingest().sessions() as session:
        case = get_case(session, case_id=case_id) if case_id <= MAX_ID else None
        if case is None:
            raise http_error(NotFound, f"no case {case_id}")
        return CaseDetailSchema().dump(case)
