"""POST /v1/responses and /v1/responses:batch: validate, commit, answer 202, then enqueue.

Batches are all-or-nothing: every item is validated first and if any is invalid the answer is
422 naming each bad item by index (`responses.3.scores.nps`) and nothing is stored; otherwise
all items are stored in one transaction and each gets its own result. A repeat of an
already-stored (source, response_id), in another request or the same batch, is a duplicate:
it answers the stored id and stores nothing new.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, request
from marshmallow import RAISE, Schema, ValidationError, fields
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from services.ingest.auth import Scope, protect
from services.ingest.context import ingest, log_ids
from services.ingest.metrics import API_SOURCE, count_rejections
from services.ingest.service import Stored, load_storable
from services.ingest.webhook_docs import GenericBatch
from shared import metrics
from shared.errors import http_error
from shared.inputs import MAX_DEPTH, too_deep
from shared.openapi import documented
from shared.schemas import ResponseSchema

log = logging.getLogger(__name__)

bp = protect(Blueprint("responses", __name__, url_prefix="/v1"), Scope.INGEST_WRITE)
count_rejections(bp, lambda: API_SOURCE, webhook=False)

JSON_TYPE = "application/json"


def read_json() -> Any:
    """Return the parsed JSON body: 415 unless it is declared JSON, 400 with the parser's reason."""
    if request.mimetype != JSON_TYPE:
        given = request.mimetype or "none"
        raise http_error(UnsupportedMediaType, f"Content-Type must be {JSON_TYPE}, not {given}")
    body = request.get_data(cache=False)
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, nesting too deep
        raise http_error(BadRequest, f"malformed JSON: {exc}") from exc
    if too_deep(value):  # checks and storage below walk it; keep them far from the stack's end
        raise http_error(BadRequest, f"JSON nested more than {MAX_DEPTH} levels deep")
    return value


class BatchSchema(Schema):
    """The batch envelope; its items are validated one by one to name them by index."""

    class Meta:
        unknown = RAISE

    responses = fields.List(fields.Raw(), required=True)


def load_batch(payload: Any, *, max_batch: int) -> list[tuple[dict[str, Any], Any]]:
    """Validate a whole batch; return (loaded, raw) per item or raise naming every bad item."""
    items = BatchSchema().load(payload)["responses"]
    if not 1 <= len(items) <= max_batch:
        raise ValidationError({"responses": [f"give between 1 and {max_batch} responses"]})
    loaded, errors = [], {}
    for index, item in enumerate(items):
        try:
            loaded.append((load_storable(item), item))
        except ValidationError as exc:
            errors[index] = exc.messages
    if errors:
        raise ValidationError({"responses": errors})
    return loaded


INGEST_KEY = ("ingestKey", "ingestKeyHeader")
POST_ERRORS = (400, 401, 403, 413, 415, 503)


class Accepted(Schema):
    """The answer for one posted response."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "accepted"})
    duplicate = fields.Boolean(metadata={"description": "already stored: nothing new stored"})


class BatchItem(Accepted):
    index = fields.Integer()


class BatchAccepted(Schema):
    items = fields.List(fields.Nested(BatchItem))
    accepted = fields.Integer()
    duplicates = fields.Integer()


def body(stored: Stored) -> dict[str, Any]:
    """The per-response answer."""
    return {"id": stored.id, "status": "accepted", "duplicate": not stored.created}


def _store_and_enqueue(items: list[tuple[dict[str, Any], Any]]) -> list[Stored]:
    """Commit the items, stamped as enqueued, in this process's next group commit (the
    leader of the group then sends the routing message for all of it).

    The log line per response stays: it ties response ids to request ids, and measured it costs
    about 0.02 ms of the request's 1.6 ms of CPU.
    """
    stored = ingest().commits.submit(items)
    for (data, _), item in zip(items, stored, strict=True):
        log.info(
            "response accepted",
            extra=log_ids(response_id=item.id, source=data["source"], duplicate=not item.created),
        )
        metrics.response_accepted(API_SOURCE, "created" if item.created else "duplicate")
    return stored


@bp.post("/responses")
@documented("Accept one response in the generic form (`ingest-write` scope)", body=ResponseSchema,
            response=Accepted, status=202, errors=POST_ERRORS, tag="ingest",
            security=INGEST_KEY)  # fmt: skip
def post_response() -> tuple[dict[str, Any], int]:
    """Accept one response in the generic form."""
    payload = read_json()
    (stored,) = _store_and_enqueue([(load_storable(payload), payload)])
    return body(stored), 202


@bp.post("/responses:batch")
@documented("Accept up to max_batch responses, all valid or none stored", body=GenericBatch,
            response=BatchAccepted, status=202, errors=POST_ERRORS, tag="ingest",
            security=INGEST_KEY)  # fmt: skip
def post_batch() -> tuple[dict[str, Any], int]:
    """Accept up to max_batch responses, all valid or none stored."""
    payload = read_json()
    items = load_batch(payload, max_batch=ingest().settings.max_batch)
    stored = _store_and_enqueue(items)
    return {
        "items": [{"index": i, **body(s)} for i, s in enumerate(stored)],
        "accepted": sum(s.created for s in stored),
        "duplicates": sum(not s.created for s in stored),
    }, 202
