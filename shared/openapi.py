"""The OpenAPI document, generated from the marshmallow schemas (and web forms) the views use.

Every route of the app is described except static files: the JSON API (ingest, cases, desk),
the survey-tool webhooks, the probes, and the desk's web pages (HTML, session cookie). A view
says what it takes and answers with `documented(...)`; a route without it is missing from the
document, which `undocumented(app)` reports and a test refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Blueprint, Flask, current_app, jsonify
from flask.wrappers import Response as FlaskResponse
from marshmallow import Schema
from werkzeug.routing import IntegerConverter, Rule
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Email, Length

from shared.errors import Error
from shared.inputs import ID_MAX

F = TypeVar("F", bound=Callable[..., Any])
_PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")
ERRORS = {400: "malformed request", 401: "not authenticated", 403: "not allowed",
          404: "not found", 409: "illegal transition", 413: "body too large",
          415: "not JSON", 422: "invalid input", 429: "too many attempts; see Retry-After",
          503: "the database is unavailable; retry after Retry-After"}  # fmt: skip
STATIC = frozenset({"static", "desk_pages.static"})  # files, not API: left out on purpose
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html"

# Security schemes by name; an operation lists the ones that admit it (any one is enough).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ingestKey": {"type": "http", "scheme": "bearer", "description":
                  "An ingest API key (CXLOOP_API_KEYS) as `Authorization: Bearer <key>`. Keys "
                  "carry scopes: `ingest-write` posts responses, `cases-read` reads cases and "
                  "responses."},
    "ingestKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                        "description": "The same ingest API key in `X-API-Key`."},
    "deskToken": {"type": "http", "scheme": "bearer", "bearerFormat": "cxd_...",
                  "description": "A desk user's personal API token (`cxloop desk token`); the "
                  "user's role decides what is visible and what may change."},
    "slackSignature": {"type": "apiKey", "in": "header", "name": "X-Slack-Signature",
                       "description": "Slack's `v0=` HMAC-SHA256 of `v0:{X-Slack-Request-"
                       "Timestamp}:{body}` keyed with CXLOOP_SLACK_SIGNING_SECRET."},
    "session": {"type": "apiKey", "in": "cookie", "name": "session", "description":
                "The desk's signed session cookie, set by `POST /login`. Every form post also "
                "carries the page's `csrf_token`."},
}  # fmt: skip

# A service adds its own security schemes here: app.extensions[EXTRA_SCHEMES] = {name: scheme}.
EXTRA_SCHEMES = "openapi.security_schemes"

bp = Blueprint("desk_openapi", __name__)


def documented(
    summary: str,
    *,
    query: type[Schema] | dict[str, Any] | None = None,
    body: type[Schema] | dict[str, Any] | None = None,
    body_type: str = JSON,
    more_bodies: dict[str, Any] | None = None,
    response: type[Schema] | dict[str, Any] | None = None,
    content_type: str = JSON,
    errors: tuple[int, ...] = (401, 404),
    error_type: str = JSON,
    tag: str = "desk",
    status: int = 200,
    security: tuple[str, ...] = ("deskToken",),
    path: dict[str, Any] | None = None,
    extra: dict[int, str] | None = None,
    description: str | Callable[[Flask], str] | None = None,
) -> Callable[[F], F]:
    """Attach OpenAPI metadata to a view; any blueprint may use it.

    `query` and `body` are the schemas the view loads (`query` may also be {name: schema});
    `path` overrides a path parameter's schema (a value may be a function of the app, for
    names only known from configuration); `more_bodies` adds other media types of the body;
    `extra` adds answers such as redirects; `security` names schemes of SECURITY_SCHEMES or of
    the webhook signatures, any one of which admits the request (empty: public).
    """

    def mark(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary, "query": query, "body": body, "body_type": body_type,
            "more_bodies": more_bodies or {},
            "response": response, "content_type": content_type, "errors": errors,
            "error_type": error_type, "tag": tag, "status": status, "security": security,
            "path": path or {}, "extra": extra or {}, "description": description,
        }  # fmt: skip
        return view

    return mark


def form_schema(*forms: type) -> dict[str, Any]:
    """Describe the fields of web forms (WTForms classes) as one form-encoded body."""
    properties: dict[str, Any] = {"csrf_token": {"type": "string"}}
    required: set[str] = set()
    for form in forms:
        for name in dir(form):
            unbound = getattr(form, name)
            if not isinstance(unbound, UnboundField):
                continue
            prop: dict[str, Any] = {"type": "string", "title": str(unbound.args[0])}
            static = unbound.kwargs.get("choices")
            if static and unbound.kwargs.get("validate_choice", True):
                prop["enum"] = [str(getattr(c, "value", c)) for c in static]
            for check in unbound.kwargs.get("validators", ()):
                if isinstance(check, Length) and check.max > 0:
                    prop["maxLength"] = check.max
                if isinstance(check, DataRequired):
                    required.add(name)
                if isinstance(check, Email):
                    prop["format"] = "email"
            properties[name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    return schema | {"required": sorted(required)} if required and len(forms) == 1 else schema


def spec_path(rule: Rule) -> str:
    """The OpenAPI path of a URL rule; a trailing slash the rule also accepts is dropped."""
    path = _PARAM.sub(r"{\1}", rule.rule)
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def api_rules(app: Flask) -> Iterator[Rule]:
    """Every rule the document must describe: all of them except static files."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint not in STATIC:
            yield rule


def methods(rule: Rule) -> list[str]:
    """The methods a rule serves, without the ones every route answers (HEAD, OPTIONS)."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def undocumented(app: Flask) -> list[str]:
    """Name each route whose view carries no OpenAPI metadata."""
    return [
        f"{' '.join(methods(rule))} {rule.rule} ({rule.endpoint})"
        for rule in api_rules(app)
        if getattr(app.view_functions[rule.endpoint], "openapi", None) is None
    ]


def _path_params(app: Flask, rule: Rule, meta: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for name in _PARAM.findall(rule.rule):
        given = meta["path"].get(name)
        if callable(given):
            given = given(app)
        if given is None and isinstance(rule._converters.get(name), IntegerConverter):
            given = {"type": "integer", "minimum": 0, "description": f"an id (at most {ID_MAX})"}
        params.append({"in": "path", "name": name, "required": True,
                       "schema": given or {"type": "string"}})  # fmt: skip
    return params


def _operation(app: Flask, rule: Rule, meta: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "tags": [meta["tag"]]}
    description = meta["description"]
    if callable(description):
        description = description(app)
    if description:
        op["description"] = description
    params: list[Any] = _path_params(app, rule, meta)
    query = meta["query"]
    if isinstance(query, dict):  # {name: schema} for a view that reads arguments by hand
        params += [{"in": "query", "name": k, "schema": v} for k, v in query.items()]
    elif query is not None:
        params.append({"in": "query", "schema": query})
    if params:
        op["parameters"] = params
    if meta["body"] is not None:
        bodies = {meta["body_type"]: meta["body"], **meta["more_bodies"]}
        op["requestBody"] = {"content": {kind: {"schema": s} for kind, s in bodies.items()}}
    status = meta["status"]
    ok: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if meta["response"] is not None:
        ok["content"] = {meta["content_type"]: {"schema": meta["response"]}}
    elif meta["content_type"] != JSON:
        ok["content"] = {meta["content_type"]: {"schema": {"type": "string"}}}
    # A page's own errors are pages; errors met before its view (an unmatched URL, a body
    # over the limit) are JSON like everywhere else.
    error_content: dict[str, Any] = {JSON: {"schema": "Error"}}
    if meta["error_type"] != JSON:
        error_content = {meta["error_type"]: {"schema": {"type": "string"}}} | error_content
    codes = set(meta["errors"]) | ({422} if meta["body"] or meta["query"] else set())
    op["responses"] = (
        {str(status): ok}
        | {str(code): {"description": text} for code, text in meta["extra"].items()}
        | {
            str(code): {"description": ERRORS.get(code, "error"), "content": error_content}
            for code in sorted(codes)
        }
    )  # fmt: skip
    op["security"] = [{name: []} for name in meta["security"]]
    return op


# Schemas named without a service prefix: the desk's and the shared ones.
UNPREFIXED = ("services.desk.schemas", "services.desk.people_schemas", "shared.schemas")


def schema_name(schema: Any) -> str:
    """A component's name: the class name, prefixed by its service outside the shared schemas.

    The ingest API and the desk each have a `CaseDetail`; the prefix keeps both.
    """
    cls = resolve_schema_cls(schema)
    cls = cls[0] if isinstance(cls, list) else cls
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    module = cls.__module__
    if module in UNPREFIXED or not module.startswith("services."):
        return name
    return module.split(".")[1].title() + name


def build_spec(app: Flask) -> dict[str, Any]:
    """Build the document for every documented route of the app."""
    spec = APISpec(
        title="cxloop API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)],
        info={"description": "Survey responses in; cases, the case desk and KPIs out. "
              "Static files (/static, /desk-static) are not described."},
    )  # fmt: skip
    for name, scheme in (SECURITY_SCHEMES | app.extensions.get(EXTRA_SCHEMES, {})).items():
        spec.components.security_scheme(name, scheme)
    spec.components.schema("Error", schema=Error)
    paths: dict[str, dict[str, Any]] = {}
    for rule in api_rules(app):
        meta = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            continue
        operations = paths.setdefault(spec_path(rule), {})
        for method in methods(rule):
            operations.setdefault(method.lower(), _operation(app, rule, meta))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
@documented("This document", response={"type": "object"}, errors=(), tag="meta", security=())
def openapi_document() -> FlaskResponse:
    """Serve the OpenAPI document of the whole HTTP interface."""
    return jsonify(build_spec(current_app))
