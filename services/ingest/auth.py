"""API-key authentication for the /v1 API, and the rule that the API is never silently open.

Keys come from `settings.api_keys` (CXLOOP_API_KEYS, comma-separated, so keys can be rotated by
running an old and a new one side by side). A client sends one as `Authorization: Bearer <key>`
or `X-API-Key: <key>`.

Each key carries scopes, written `scope:key` (`ingest-write:...` posts responses, `cases-read:...`
reads cases with the respondent's name and email, `metrics-read:...` lets Prometheus scrape
/metrics). A bare key, as written before scopes existed, is `ingest-write` only: the survey tool's
key can no longer read cases. The same key listed with several scopes has them all. The generated
key of the embedded default has every scope (one person, one machine).

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
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flask import Blueprint, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from shared.secret_files import read_or_create
from shared.settings import Settings
from shared.settings.secret import Secret

log = logging.getLogger(__name__)

KEY_FILE_NAME = "api-key"


class Scope(StrEnum):
    """What an API key may do."""

    INGEST_WRITE = "ingest-write"
    CASES_READ = "cases-read"
    METRICS_READ = "metrics-read"


class MissingApiKeys(RuntimeError):
    """No API key is configured where one must be."""


class BadApiKeys(ValueError):
    """CXLOOP_API_KEYS has an entry that is not `key` or `scope:key`."""


@dataclass(frozen=True)
class ApiKey:
    """One configured key and the scopes it grants."""

    key: Secret
    scopes: frozenset[Scope]


def parse_api_keys(entries: tuple[str, ...]) -> tuple[ApiKey, ...]:
    """Read `scope:key` / bare `key` entries; a key listed under several scopes gets them all."""
    scopes: dict[str, set[Scope]] = {}
    for index, entry in enumerate(entries):
        prefix, sep, rest = entry.partition(":")
        if not sep:
            name, key = Scope.INGEST_WRITE.value, entry
        elif prefix in set(Scope):
            name, key = prefix, rest
        else:
            raise BadApiKeys(
                f"CXLOOP_API_KEYS entry {index + 1}: unknown scope {prefix!r}; write "
                f"`{Scope.INGEST_WRITE}:<key>`, `{Scope.CASES_READ}:<key>` or "
                f"`{Scope.METRICS_READ}:<key>` (a bare key is {Scope.INGEST_WRITE})"
            )
        if not key.strip():
            raise BadApiKeys(f"CXLOOP_API_KEYS entry {index + 1}: empty key after {name!r}")
        scopes.setdefault(key.strip(), set()).add(Scope(name))
    return tuple(ApiKey(Secret(k), frozenset(s)) for k, s in scopes.items())


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
    every = tuple(Secret(f"{scope}:{key}") for scope in Scope)
    return settings.with_(api_keys=every)


def presented_key() -> str | None:
    """Return the key the client sent, from `Authorization: Bearer` or `X-API-Key`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("X-API-Key") or None


def scopes_of(candidate: str, keys: tuple[ApiKey, ...]) -> frozenset[Scope] | None:
    """Return the scopes of the matching key (compared in constant time), or None."""
    given = candidate.encode("utf-8", "surrogatepass")
    found: frozenset[Scope] | None = None
    for item in keys:
        if hmac.compare_digest(given, item.key.encode("utf-8", "surrogatepass")):
            found = item.scopes
    return found


def require_scope(scope: Scope) -> None:
    """Reject with 401 without a configured key, and with 403 if the key lacks the scope."""
    keys: tuple[ApiKey, ...] = current_app.extensions["cxloop.api_keys"]
    candidate = presented_key()
    scopes = scopes_of(candidate, keys) if candidate is not None else None
    if scopes is None:
        message = "a valid API key is required (Authorization: Bearer <key> or X-API-Key)"
        raise Unauthorized(
            description=message,
            www_authenticate=WWWAuthenticate("bearer", {"realm": "cxloop"}),
        )
    if scope not in scopes:
        raise Forbidden(f"this API key lacks the {scope} scope")


def protect(blueprint: Blueprint, scope: Scope) -> Blueprint:
    """Require an API key with `scope` for every route of a blueprint."""
    blueprint.before_request(lambda: require_scope(scope))
    return blueprint
