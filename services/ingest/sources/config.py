"""The sources file: which survey tools post to cxloop, their secrets (by env var) and mappings.

Validated on load; every error names the file, the key and the reason. Secret values never
appear in the file: it names environment variables, read when the file is loaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared import yaml_load
from shared.settings.secret import NO_SECRET, Secret

log = logging.getLogger(__name__)

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
SELECTOR_KEYS = ("nps", "csat", "ces", "comment", "touchpoint", "respondent_id", "email", "name")
MAPPING_KEYS = {
    *SELECTOR_KEYS,
    "attributes",
    "touchpoint_default",
    "ces_scale",
    "ces_points",
    "defaults",
}
SOURCE_KEYS = {
    "name",
    "type",
    "secrets_env",
    "api_token_env",
    "api_base_url",
    "client_id_env",
    "mapping",
    "options",
}
OPTION_KEYS = {"signature_header", "timestamp_header", "tolerance_s"}


class ConfigError(ValueError):
    """The sources file is invalid: file, key and reason."""


@dataclass(frozen=True)
class FieldMapping:
    """Which question or field carries each part of the generic response (empty = default)."""

    nps: tuple[str, ...] = ()
    csat: tuple[str, ...] = ()
    ces: tuple[str, ...] = ()
    comment: tuple[str, ...] = ()
    touchpoint: tuple[str, ...] = ()
    respondent_id: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    touchpoint_default: str | None = None
    ces_scale: str | None = None  # effort (1 = easy) | agreement (7 = "made it easy")
    ces_points: int = 7
    defaults: bool = True


@dataclass(frozen=True)
class SourceConfig:
    """One configured source; its secrets are resolved from the environment at load."""

    name: str
    type: str
    secrets: tuple[Secret, ...] = ()
    secrets_env: tuple[str, ...] = ()
    mapping: FieldMapping = field(default_factory=FieldMapping)
    api_token: Secret = NO_SECRET
    api_base_url: str = ""
    client_id: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sources:
    """Every configured source by name."""

    path: Path
    by_name: Mapping[str, SourceConfig]

    def get(self, name: str) -> SourceConfig | None:
        """Return a source by name, or None."""
        return self.by_name.get(name)


def load_sources(path: Path, environ: Mapping[str, str]) -> Sources:
    """Read and validate the sources file; raise ConfigError with file, key and reason."""
    try:
        document = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_sources(document, path=path, environ=environ)


def parse_sources(document: Any, *, path: Path, environ: Mapping[str, str]) -> Sources:
    """Validate an already-parsed sources document."""
    from services.ingest.sources.registry import types

    def fail(key: str, reason: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {reason}")

    if document is None:
        document = {"sources": []}
    if not isinstance(document, dict) or set(document) - {"sources"}:
        raise fail("(top)", "expected a mapping with one key, 'sources'")
    items = document.get("sources")
    items = [] if items is None else items
    if not isinstance(items, list):
        raise fail("sources", "expected a list")
    known_types = types()
    by_name: dict[str, SourceConfig] = {}
    for index, item in enumerate(items):
        where = f"sources[{index}]"
        if not isinstance(item, dict):
            raise fail(where, "expected a mapping")
        unknown = set(item) - SOURCE_KEYS
        if unknown:
            raise fail(f"{where}.{sorted(unknown)[0]}", "unknown key")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise fail(f"{where}.name", "required: lowercase letters, digits, '-' or '_'")
        if name in by_name:
            raise fail(f"{where}.name", f"duplicate source name {name!r}")
        kind = item.get("type")
        if kind not in known_types:
            raise fail(f"{where}.type", f"must be one of {', '.join(known_types)}")
        env_names = _env_list(item.get("secrets_env"), f"{where}.secrets_env", fail)
        if len(env_names) > 2:
            raise fail(f"{where}.secrets_env", "at most two secrets (current and previous)")
        secrets = tuple(Secret(environ[e]) for e in env_names if environ.get(e))
        if not secrets:
            log.info(
                "source has no signing secret set; it will refuse every request",
                extra={"source": name, "secrets_env": list(env_names)},
            )
        token_env = _env_list(item.get("api_token_env"), f"{where}.api_token_env", fail)
        client_env = _env_list(item.get("client_id_env"), f"{where}.client_id_env", fail)
        base_url = item.get("api_base_url", "")
        if not isinstance(base_url, str) or (base_url and not base_url.startswith("http")):
            raise fail(f"{where}.api_base_url", "must be an http(s) URL")
        by_name[name] = SourceConfig(
            name=name,
            type=kind,
            secrets=secrets,
            secrets_env=env_names,
            mapping=_mapping(item.get("mapping"), f"{where}.mapping", fail),
            api_token=Secret(environ.get(token_env[0], "")) if token_env else NO_SECRET,
            api_base_url=base_url.rstrip("/"),
            client_id=environ.get(client_env[0], "") if client_env else "",
            options=_options(item.get("options"), f"{where}.options", fail),
        )
    return Sources(path=path, by_name=by_name)


def _env_list(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(
        isinstance(v, str) and ENV_NAME.fullmatch(v) for v in values
    ):
        raise fail(key, "expected environment variable names (never the secret itself)")
    return tuple(values)


def _selectors(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str | int) else value
    if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
        raise fail(key, "expected a question/field id, ref or title, or a list of them")
    return tuple(str(v) for v in values)


def _mapping(value: Any, key: str, fail: Any) -> FieldMapping:
    if value is None:
        return FieldMapping()
    if not isinstance(value, dict):
        raise fail(key, "expected a mapping")
    unknown = set(value) - MAPPING_KEYS
    if unknown:
        raise fail(f"{key}.{sorted(unknown)[0]}", f"unknown key; known: {sorted(MAPPING_KEYS)}")
    attributes = value.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise fail(f"{key}.attributes", "expected a mapping of attribute name to field")
    ces_scale = value.get("ces_scale")
    if ces_scale not in (None, "effort", "agreement"):
        raise fail(f"{key}.ces_scale", "must be 'effort' or 'agreement'")
    ces_points = value.get("ces_points", 7)
    if ces_points not in (5, 7):
        raise fail(f"{key}.ces_points", "must be 5 or 7")
    default_tp = value.get("touchpoint_default")
    if default_tp is not None and not isinstance(default_tp, str):
        raise fail(f"{key}.touchpoint_default", "expected a touchpoint name")
    defaults = value.get("defaults", True)
    if not isinstance(defaults, bool):
        raise fail(f"{key}.defaults", "expected true or false")
    return FieldMapping(
        **{k: _selectors(value.get(k), f"{key}.{k}", fail) for k in SELECTOR_KEYS},
        attributes={
            str(name): _selectors(sel, f"{key}.attributes.{name}", fail)
            for name, sel in attributes.items()
        },
        touchpoint_default=default_tp,
        ces_scale=ces_scale,
        ces_points=ces_points,
        defaults=defaults,
    )


def _options(value: Any, key: str, fail: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - OPTION_KEYS:
        raise fail(key, f"expected a mapping with keys among {sorted(OPTION_KEYS)}")
    tolerance = value.get("tolerance_s", 300)
    if not isinstance(tolerance, int) or isinstance(tolerance, bool) or tolerance <= 0:
        raise fail(f"{key}.tolerance_s", "expected a positive number of seconds")
    for name in ("signature_header", "timestamp_header"):
        if name in value and not isinstance(value[name], str):
            raise fail(f"{key}.{name}", "expected a header name")
    return dict(value)
