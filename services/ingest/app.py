"""The ingest service's Flask app factory: explicit settings in, a wired app out."""

from __future__ import annotations

import functools
import re
import uuid

import redis
from flask import Blueprint, Flask, g, request
from flask.wrappers import Response as FlaskResponse

from services.ingest.auth import MissingApiKeys, parse_api_keys
from services.ingest.context import Ingest
from services.ingest.enqueue import route_new
from services.ingest.group_commit import GroupCommit
from services.ingest.service import insert_responses
from services.ingest.sources.store import store_submissions
from services.ingest.webhook_docs import signature_schemes
from shared.celery_app import create_celery
from shared.errors import register_error_handlers
from shared.openapi import EXTRA_SCHEMES
from shared.runtime import runtime
from shared.settings import Settings
from shared.urls import bound_int_converter

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def blueprints() -> list[Blueprint]:
    """Every blueprint the ingest service serves; add a new one to this list."""
    from services.ingest import cases, health, metrics, responses_api, views, webhooks

    return [
        health.bp,  # /healthz, /readyz: no auth
        metrics.bp,  # /metrics: the metrics-read scope
        views.bp,  # POST /v1/responses, /v1/responses:batch
        cases.bp,  # GET /v1/cases, /v1/cases/<id>
        responses_api.bp,  # GET /v1/responses
        webhooks.bp,  # /v1/webhooks/<source>: survey tools, signed per vendor, no API key
    ]


def create_app(settings: Settings) -> Flask:
    """Build the ingest app from settings; refuse to build an API that anyone could call."""
    if not settings.api_keys:
        raise MissingApiKeys("no API key configured (see services.ingest.auth.ensure_api_key)")
    app = Flask(__name__)
    app.config.update(
        CXLOOP_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SECRET_KEY=str(settings.secret_key) or None,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["cxloop.api_keys"] = parse_api_keys(settings.api_keys)  # bad entries stop here
    rt = runtime(settings)
    celery = create_celery(settings)
    app.extensions["cxloop"] = Ingest(
        settings=settings,
        engine=rt.engine,
        sessions=rt.sessions,
        celery=celery,
        redis=redis.Redis.from_url(
            settings.effective_redis_url, socket_connect_timeout=1, socket_timeout=1
        ),
        commits=GroupCommit(
            functools.partial(insert_responses, rt.engine),
            after=functools.partial(route_new, celery, rt.sessions),
            max_items=settings.max_batch,
        ),
        webhook_commits=GroupCommit(
            functools.partial(store_submissions, rt.sessions),
            after=functools.partial(route_new, celery, rt.sessions),
            max_items=settings.max_batch,
        ),
    )
    register_error_handlers(app)
    bound_int_converter(app)
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    app.extensions[EXTRA_SCHEMES] = signature_schemes()  # the webhooks' signatures, documented
    return app


def _assign_request_id() -> None:
    """Keep a well-formed caller X-Request-ID for log correlation, else make one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _echo_request_id(response: FlaskResponse) -> FlaskResponse:
    if "request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.request_id
    response.headers["X-Content-Type-Options"] = "nosniff"  # JSON with customer text stays JSON
    return response
