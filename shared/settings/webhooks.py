"""The Slack webhook URLs: which variables the routing and desk files name, and their values."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field, field_validator

from shared import yaml_load
from shared.settings.secret import Secret

WEBHOOK_KEY = "webhook_url_env"  # the routing and desk files' key naming a webhook variable
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class WebhookSettings(BaseModel):
    """The webhook URLs, read from the variables the files name rather than from one variable."""

    slack_webhooks: dict[str, Secret] = Field(
        default_factory=dict,
        description=(
            "Not a variable: the Slack incoming-webhook URLs (secrets), read at start from the "
            "variables that `webhook_url_env` names in the routing and desk files. Each must be an "
            "https URL (http only to this machine); the notifier refuses to start while one is "
            "unset, unless `CXLOOP_ALLOW_OUTBOX=1` or on SQLite (the embedded default)."
        ),
    )

    @field_validator("slack_webhooks")
    @classmethod
    def _webhook_urls(cls, value: dict[str, Secret]) -> dict[str, Secret]:
        for name, url in value.items():
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an environment variable name (A-Z, 0-9, _)")
            if not _webhook_url(url):
                raise ValueError(f"{name} must hold an https URL (http only to this machine)")
        return value


def _webhook_url(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    try:
        return parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class ConfigFileError(ValueError):
    """A config file cannot be read or holds a bad value; the message names file, key and reason."""


def webhook_references(path: Path) -> list[str]:
    """The variables a routing or desk file names by `webhook_url_env`, each checked."""
    try:
        document = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}: invalid YAML: {exc}") from None
    names = []
    for key, value in _found(WEBHOOK_KEY, document, ""):
        if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
            raise ConfigFileError(
                f"{path}: {key}: must name an environment variable (A-Z, 0-9, _), not {value!r}"
            )
        names.append(value)
    return names


def webhook_variables(path: Path) -> list[str]:
    """The webhook variables a file names, or none if it is bad (its users report that)."""
    try:
        return webhook_references(path)
    except ConfigFileError:
        return []


def _found(key: str, node: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, value in node.items():
            inner = f"{where}.{name}" if where else str(name)
            if name == key:
                yield inner, value
            else:
                yield from _found(key, value, inner)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _found(key, item, f"{where}[{index}]")
