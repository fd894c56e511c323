"""The web process: its address and gunicorn workers, API keys, and request size limits."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode

from shared.settings.secret import Secret


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class WebSettings(BaseModel):
    """The `/v1` API keys, the public URL and gunicorn."""

    api_keys: Annotated[tuple[Secret, ...], NoDecode] = Field(
        (),
        description=(
            "Comma-separated `scope:key` entries for `/v1` (run an old and a new key side by side "
            "to rotate). Scopes: `ingest-write` (post responses) and `cases-read` (read cases, "
            "with names and emails); a bare key is `ingest-write` only; list a key twice to give "
            "it both. Unknown scopes stop the start. Required when a database URL is set; the "
            "embedded default generates one key with both scopes into `<data dir>/api-key`. See "
            '"Security defaults".'
        ),
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL used in alert links to a case.",
    )
    bind: str = Field(
        "127.0.0.1:8000",
        description="Address gunicorn listens on (`0.0.0.0:8000` in the container).",
    )
    web_workers: int = Field(
        2,
        ge=1,
        description="gunicorn worker processes.",
    )
    web_threads: int = Field(
        8,
        ge=1,
        description=(
            "Threads per gunicorn worker. Requests that arrive while one commits share the "
            "next commit, so more threads mean fewer, larger transactions under load."
        ),
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split(value) if isinstance(value, str) else value


class IngestSettings(BaseModel):
    """How much ingest accepts in one request."""

    max_content_length: int = Field(
        1048576,
        ge=1,
        description="Largest accepted request body in bytes (413 above).",
    )
    max_batch: int = Field(
        1000,
        ge=1,
        description="Most responses in one `POST /v1/responses:batch`.",
    )
