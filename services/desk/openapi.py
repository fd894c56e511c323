"""The OpenAPI document, generated from the marshmallow schemas the endpoints declare."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify
from flask.wrappers import Response as FlaskResponse
from marshmallow import Schema

from services.desk.schemas import Error

F = TypeVar("F", bound=Callable[..., Any])
_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
ERRORS = {401: "not authenticated", 403: "role may not do this", 404: "not found",
          409: "illegal transition", 422: "invalid input"}  # fmt: skip

bp = Blueprint("desk_openapi", __name__)


def documented(
    summary: str,
    *,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    content_type: str = "application/json",
    errors: tuple[int, ...] = (401, 404),
    tag: str = "desk",
    status: int = 200,
) -> Callable[[F], F]:
    """Attach OpenAPI metadata to a view; any blueprint may use it."""

    def mark(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary, "query": query, "body": body, "response": response,
            "content_type": content_type, "errors": errors, "tag": tag, "status": status,
        }  # fmt: skip
        return view

    return mark


def _operation(meta: dict[str, Any], path_params: list[str]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "tags": [meta["tag"]]}
    params: list[Any] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "integer"}}
        for name in path_params
    ]
    if meta["query"] is not None:
        params.append({"in": "query", "schema": meta["query"]})
    if params:
        op["parameters"] = params
    if meta["body"] is not None:
        op["requestBody"] = {"content": {"application/json": {"schema": meta["body"]}}}
    status = meta.get("status", 200)
    ok: dict[str, Any] = {"description": "Accepted" if status == 202 else "OK"}
    if meta["response"] is not None:
        ok["content"] = {meta["content_type"]: {"schema": meta["response"]}}
    elif meta["content_type"] != "application/json":
        ok["content"] = {meta["content_type"]: {"schema": {"type": "string"}}}
    op["responses"] = {str(status): ok} | {
        str(code): {"description": ERRORS.get(code, "error"), "content": {
            "application/json": {"schema": "Error"}}}
        for code in (*meta["errors"], 422) if code != 422 or meta["body"] or meta["query"]
    }  # fmt: skip
    op["security"] = [{"bearer": []}]
    return op


def build_spec(app: Flask) -> dict[str, Any]:
    """Build the document for every /v1 route of the app, documented or not."""
    spec = APISpec(
        title="cxloop API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Survey responses in; cases, the case desk and KPIs out."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=Error)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None) or {
            "summary": (view.__doc__ or rule.endpoint).strip().splitlines()[0],
            "query": None, "body": None, "response": None, "content_type": "application/json",
            "errors": (401,), "tag": rule.endpoint.split(".")[0],
        }  # fmt: skip
        path = _PARAM.sub(r"{\1}", rule.rule)
        names = _PARAM.findall(rule.rule)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(path=path, operations={m.lower(): _operation(meta, names) for m in methods})
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_document() -> FlaskResponse:
    """Serve the OpenAPI document of the whole JSON API."""
    return jsonify(build_spec(current_app))
