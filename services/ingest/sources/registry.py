"""The source types: each adapter module imported, so that it registered itself (`register`)."""

from __future__ import annotations

from services.ingest.sources.base import REGISTRY, SourceAdapter


def adapter_for(type_name: str) -> SourceAdapter:
    """Return the adapter of a source type; raise KeyError naming the known types."""
    _load_all()
    try:
        return REGISTRY[type_name]
    except KeyError:
        raise KeyError(f"unknown source type {type_name!r}; known: {', '.join(types())}") from None


def types() -> list[str]:
    """Every registered source type."""
    _load_all()
    return sorted(REGISTRY)


def _load_all() -> None:
    from services.ingest.sources import (  # noqa: F401  (each module registers itself)
        delighted,
        formbricks,
        generic,
        google_forms,
        qualtrics,
        standard_webhooks,
        surveymonkey,
        tally,
        typeform,
    )
