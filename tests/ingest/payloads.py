"""Request helpers for the ingest tests: API-key headers and a valid generic response."""

from __future__ import annotations

from typing import Any

KEY = "test-key"


def auth(key: str = KEY) -> dict[str, str]:
    """Headers carrying an API key."""
    return {"Authorization": f"Bearer {key}"}


def generic(**changes: Any) -> dict[str, Any]:
    """A valid generic response, with fields changed or removed (value None removes)."""
    body: dict[str, Any] = {
        "source": "web",
        "response_id": "r-1",
        "submitted_at": "2025-03-01T10:00:00+00:00",
        "respondent": {"id": "c-42", "email": "ann@example.com", "name": "Ann"},
        "scores": {"nps": 2},
        "comment": "The courier left my parcel in the rain.",
        "attributes": {"region": "north"},
    }
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body
