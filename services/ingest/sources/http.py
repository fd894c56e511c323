"""Outbound calls to vendor APIs: always a timeout, failures classified transient or permanent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from services.ingest.sources.base import PermanentFetchError, TransientFetchError

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


def get_json(url: str, *, headers: Mapping[str, str], timeout: float, vendor: str) -> Any:
    """GET a JSON document; raise TransientFetchError or PermanentFetchError on failure."""
    try:
        reply = requests.get(url, headers=dict(headers), timeout=timeout, allow_redirects=False)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientFetchError(f"{vendor} API unreachable: {type(exc).__name__}") from exc
    except requests.RequestException as exc:
        raise PermanentFetchError(f"{vendor} API request failed: {exc}") from exc
    if reply.status_code in TRANSIENT_STATUS:
        raise TransientFetchError(
            f"{vendor} API answered {reply.status_code}", _retry_after(reply.headers)
        )
    if reply.status_code != 200:
        raise PermanentFetchError(f"{vendor} API answered {reply.status_code} for {url}")
    try:
        return reply.json()
    except ValueError as exc:
        raise PermanentFetchError(f"{vendor} API answered with a body that is not JSON") from exc


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
