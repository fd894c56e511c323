"""POST /v1/webhooks/<source>: survey tools post here in their own format, signed their own way.

Order matters: the signature is checked over the raw bytes before anything is parsed, and an
unsigned request is refused (401) without being stored. The one exception is a vendor's
content-free endpoint test (Formbricks' `{"event": "testEndpoint"}`), answered 200 unstored.
A verified event is parsed, mapped to the generic response and committed (in one transaction with
the events other threads of the process receive meanwhile: group commit) and answered 200; it
is sent for routing (or, for a thin event, for fetching) only once committed. HEAD and GET
answer vendors' URL checks; no route redirects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, NotFound, Unauthorized

from services.ingest.context import ingest, log_ids
from services.ingest.metrics import count_rejections
from services.ingest.service import load_storable
from services.ingest.sources.base import (
    ParseResult,
    PayloadError,
    SignatureError,
    SourceAdapter,
)
from services.ingest.sources.config import SourceConfig, Sources, load_sources
from services.ingest.sources.mapping import to_generic
from services.ingest.sources.registry import adapter_for
from services.ingest.sources.store import Stored, envelope, store_thin
from services.ingest.webhook_docs import (
    BODY,
    QualtricsForm,
    WebhookCheck,
    WebhookReply,
    description,
    source_name_schema,
    webhook_security,
)
from shared import metrics, task_names
from shared.broker import send_ids
from shared.db import transaction
from shared.errors import http_error
from shared.openapi import FORM, documented

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks")
NO_SIGNAL = "give at least one score"


@bp.record_once
def _load_sources(state: BlueprintSetupState) -> None:
    """Load and validate the sources file when the app is built (a bad file stops the start)."""
    settings = state.app.config["CXLOOP_SETTINGS"]
    loaded = load_sources(settings.sources_file, os.environ)
    state.app.extensions["cxloop.sources"] = loaded
    metrics.expect_responses(loaded.by_name)


def sources() -> Sources:
    """The current app's configured sources."""
    return current_app.extensions["cxloop.sources"]


def _source_label() -> str:
    """The source a refused request is counted under: a configured name, else `unknown`."""
    name = (request.view_args or {}).get("source_name", "")
    return name if sources().get(name) is not None else "unknown"


count_rejections(bp, _source_label, webhook=True)


def _source(name: str) -> tuple[SourceConfig, SourceAdapter]:
    source = sources().get(name)
    if source is None:
        raise http_error(NotFound, f"no webhook source named {name!r} is configured")
    return source, adapter_for(source.type)


@bp.route("/<source_name>", methods=["GET", "HEAD"], strict_slashes=False)
@bp.route("/<source_name>/", methods=["GET", "HEAD"], strict_slashes=False)
@documented("Answer a vendor's URL check (HEAD or GET)", response=WebhookCheck, errors=(404,),
            tag="webhooks", security=(), path={"source_name": source_name_schema})  # fmt: skip
def check(source_name: str) -> tuple[dict[str, Any], int]:
    """Answer the URL check some vendors make when the webhook is created."""
    source, adapter = _source(source_name)
    body, status = adapter.handshake(request.method, request.args)
    return {"source": source.name, **body}, status


@bp.route("/<source_name>", methods=["POST"], strict_slashes=False)
@bp.route("/<source_name>/", methods=["POST"], strict_slashes=False)
@documented("Receive one survey tool's event, signed the source's way", body=BODY,
            more_bodies={FORM: QualtricsForm}, response=WebhookReply,
            errors=(400, 401, 404, 413, 503), tag="webhooks", security=webhook_security(),
            path={"source_name": source_name_schema}, description=description)  # fmt: skip
def receive(source_name: str) -> tuple[dict[str, Any], int] | tuple[dict[str, Any], int, Any]:
    """Verify, parse, store and acknowledge one vendor event."""
    source, adapter = _source(source_name)
    body = request.get_data(cache=False)
    ping = adapter.ping(body)
    if ping is not None:
        log.info("webhook endpoint test answered", extra=log_ids(source=source.name))
        return {"status": "ignored", "reason": ping}, 200
    # Werkzeug's Headers: a case-insensitive mapping, which the adapters' lookups rely on.
    headers = cast("Mapping[str, str]", request.headers)
    try:
        adapter.verify(body, headers, source, datetime.now(UTC))
    except SignatureError as exc:
        log.warning(
            "webhook signature rejected", extra=log_ids(source=source.name, reason=exc.reason)
        )
        raise http_error(Unauthorized, f"webhook signature rejected: {exc.reason}") from exc
    try:
        result = adapter.parse(body, headers, source)
    except PayloadError as exc:
        raise http_error(BadRequest, f"not a {adapter.label} webhook payload: {exc}") from exc
    if result.ignored:
        log.info(
            "webhook event ignored",
            extra=log_ids(source=source.name, event_id=result.event_id, reason=result.ignored),
        )
        return {"status": "ignored", "reason": result.ignored, **(result.reply or {})}, 200
    if result.thin is not None:
        return _accept_thin(source, adapter, result)
    return _accept_responses(source, adapter, result)


def _loaded(source: SourceConfig, adapter: SourceAdapter, result: ParseResult) -> list[Any]:
    """Map and validate every response the event carries (422 names the bad fields)."""
    payloads = list(result.generic) or [
        to_generic(s, source, ces_scale=adapter.ces_scale) for s in result.submissions
    ]
    loaded = []
    for payload, submission in zip(
        payloads, result.submissions or [None] * len(payloads), strict=True
    ):
        try:
            data = load_storable(payload)
        except ValidationError as exc:
            if _only_no_signal(exc):
                continue
            raise
        version = submission.version if submission is not None else None
        loaded.append(
            (
                data,
                envelope(
                    source_type=source.type,
                    event_id=result.event_id,
                    version=version,
                    payload=result.payload,
                ),
            )
        )
    return loaded


def _only_no_signal(exc: ValidationError) -> bool:
    """A partial response with no score or comment yet: nothing to act on, nothing wrong."""
    messages = exc.messages if isinstance(exc.messages, dict) else {}
    return set(messages) == {"_schema"} and all(NO_SIGNAL in m for m in messages["_schema"])


def _accept_responses(
    source: SourceConfig, adapter: SourceAdapter, result: ParseResult
) -> tuple[dict[str, Any], int]:
    items = _loaded(source, adapter, result)
    if not items:
        return {"status": "ignored", "reason": "no score or comment yet"}, 200
    # Committed with the other events this process receives meanwhile; the group's leader
    # then sends one routing message for them all (`services.ingest.group_commit`).
    stored = ingest().webhook_commits.submit(items)
    _log(source, result, stored)
    return {"status": "accepted", "responses": [s.body() for s in stored]}, 200


def _accept_thin(
    source: SourceConfig, adapter: SourceAdapter, result: ParseResult
) -> tuple[dict[str, Any], int]:
    """Store the ids, answer at once; a router worker fetches the response (thin webhooks)."""
    assert result.thin is not None
    thin = result.thin
    raw = envelope(
        source_type=source.type, event_id=result.event_id, version=None, payload=result.payload
    ) | {"ref": dict(thin.ref)}
    svc = ingest()
    with transaction(svc.sessions) as session:
        stored = store_thin(
            session,
            source=source.name,
            response_id=thin.response_id,
            occurred_at=thin.occurred_at,
            raw=raw,
        )
    _log(source, result, [stored])
    if stored.needs_fetch:
        send_ids(svc.celery, task_names.FETCH_RESPONSE, [stored.id])  # if lost, the sweep sends it
    return {"status": "accepted", "responses": [stored.body()]}, 200


def _log(source: SourceConfig, result: ParseResult, stored: list[Stored]) -> None:
    for item in stored:
        log.info(
            "webhook response stored",
            extra=log_ids(
                source=source.name,
                event_id=result.event_id,
                response_id=item.id,
                outcome=str(item.outcome),
            ),
        )
        metrics.response_accepted(source.name, str(item.outcome))
