"""Showing stored text without secrets: the API and the desk both render router-written JSON."""

from __future__ import annotations

from typing import Any

from shared.logs import redact


def public_target(target: str) -> str:
    """Show a delivery target without secrets: a webhook is named by its env var, never its URL."""
    if target.startswith("webhook:"):
        return "webhook:" + target.removeprefix("webhook:").split("/", 1)[0]
    return redact(target)


def scrub(value: Any) -> Any:
    """Redact URL paths and tokens in router-written JSON before showing it."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value
