"""One JSON error shape for every HTTP error: code, status, message and field-level errors.

The shape follows flask-smorest's: `{"code": 422, "status": "Unprocessable Entity",
"message": "...", "errors": {"scores.nps": ["..."]}}`. Field paths are dotted, list items are
named by their index (`responses.3.scores.nps`), and errors about an object as a whole sit
under `_schema`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException

from shared.db import UNAVAILABLE, unavailable_reason

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30  # survey tools and clients retry a 503 after this many seconds

Errors = dict[str, list[str]]


class Error(Schema):
    """The one error shape of every endpoint."""

    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


def flatten_messages(messages: Any, prefix: str = "") -> Errors:
    """Turn marshmallow's nested messages into {dotted field path: [messages]}."""
    out: Errors = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten_messages(value, path).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for field, texts in flatten_messages(item, prefix).items():
                out.setdefault(field, []).extend(texts)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def http_error(
    kind: type[HTTPException], message: str, errors: Errors | None = None
) -> HTTPException:
    """Return a werkzeug HTTP error carrying our message and optional field errors."""
    error = kind(description=message)
    error.errors = errors  # type: ignore[attr-defined]
    return error


def error_response(
    code: int, message: str, errors: Errors | None = None, headers: dict[str, str] | None = None
) -> tuple[Response, int, dict[str, str]]:
    """Build the one error body every endpoint returns."""
    body = {
        "code": code,
        "status": HTTPStatus(code).phrase,
        "message": message,
        "errors": errors or {},
    }
    return jsonify(body), code, headers or {}


def _message_for(error: HTTPException) -> str:
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return f"request body is larger than the limit of {limit} bytes"
    return error.description or HTTPStatus(error.code or 500).phrase


def handle_http_exception(error: HTTPException) -> tuple[Response, int, dict[str, str]]:
    """Render any werkzeug HTTP error (404, 405, 413, abort(...)) in the common shape."""
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    errors = getattr(error, "errors", None)
    return error_response(error.code or 500, _message_for(error), errors, headers)


def handle_validation_error(error: ValidationError) -> tuple[Response, int, dict[str, str]]:
    """Render marshmallow validation errors as 422 with one entry per bad field."""
    return error_response(422, "the request is invalid", flatten_messages(error.messages))


def handle_database_unavailable(error: Exception) -> tuple[Response, int, dict[str, str]]:
    """Answer 503 with Retry-After while the database is down, so the sender retries later."""
    reason = unavailable_reason(error)
    log.warning("database unavailable", extra={"reason": reason, "error": type(error).__name__})
    return error_response(
        503,
        f"the database is unavailable ({reason}); retry later",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def handle_unexpected(error: Exception) -> tuple[Response, int, dict[str, str]]:
    """Last resort: log the traceback, answer 500 in the common shape and reveal nothing."""
    log.error("unhandled error", exc_info=error)
    return error_response(500, "internal error; it has been logged")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers so no error leaves the app in any other shape."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    for kind in UNAVAILABLE:
        app.register_error_handler(kind, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
