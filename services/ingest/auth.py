"""API-key authentication for the /v1 API, and the rule that the API is never silently open.

Keys come from `settings.api_keys` (CXLOOP_API_KEYS, comma-separated, so keys can be rotated by
running an old and a new one side by side). A client sends one as `Authorization: Bearer <key>`
or `X-API-Key: <key>`.

With no key configured, `ensure_api_key` decides:
- a key file `<data_dir>/api-key` from an earlier start is used;
- in the embedded default (no DATABASE_URL: one machine, SQLite) a random key is generated into
  that file with 0600 permissions, so `cxloop up` works out of the box without being open;
- otherwise (a production database is configured) it refuses to start.
`create_app` itself refuses settings without keys.
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

from flask import Blueprint, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from shared.secret_files import read_or_create
from shared.settings import Secret, Settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "api-key"


class MissingApiKeys(RuntimeError):
    """No API key is configured where one must be."""


def key_file(settings: Settings) -> Path:
    """Where the generated API key of the embedded default is kept."""
    return settings.data_dir / KEY_FILE_NAME


def ensure_api_key(settings: Settings) -> Settings:
    """Return settings with at least one API key, loading or generating one where allowed."""
    if settings.api_keys:
        return settings
    path = key_file(settings)
    existed = path.exists()
    key = read_or_create(path, create=not settings.database_url)
    if key is None:
        raise MissingApiKeys(
            "no API key configured: set CXLOOP_API_KEYS (comma-separated) before starting "
            f"the ingest service, or put one key in {path}"
        )
    if not existed:
        log.warning("generated an API key for the /v1 API", extra={"key_file": str(path)})
    if not key:
        raise MissingApiKeys(f"{path} is empty: put an API key in it or set CXLOOP_API_KEYS")
    return settings.with_(api_keys=(Secret(key),))


def presented_key() -> str | None:
    """Return the key the client sent, from `Authorization: Bearer` or `X-API-Key`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("X-API-Key") or None


def is_valid_key(candidate: str, keys: tuple[str, ...]) -> bool:
    """Compare against every configured key in constant time."""
    given = candidate.encode("utf-8", "surrogatepass")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(given, key.encode("utf-8", "surrogatepass"))
    return matched


def require_api_key() -> None:
    """Reject the request with 401 unless it carries a configured API key."""
    keys = current_app.config["CXLOOP_SETTINGS"].api_keys
    candidate = presented_key()
    if candidate is None or not is_valid_key(candidate, keys):
        message = "a valid API key is required (Authorization: Bearer <key> or X-API-Key)"
        raise Unauthorized(
            description=message,
            www_authenticate=WWWAuthenticate("bearer", {"realm": "cxloop"}),
        )


def protect(blueprint: Blueprint) -> Blueprint:
    """Require an API key for every route of a blueprint."""
    blueprint.before_request(require_api_key)
    return blueprint
