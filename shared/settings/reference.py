"""The settings reference in docs/operations.md, rendered from the fields (`cxloop settings`)."""

from __future__ import annotations

from pathlib import Path

from shared.settings import Settings
from shared.settings.environment import variable
from shared.settings.files import ROOT


def _shown_default(name: str) -> str:
    field = Settings.model_fields[name]
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Path) and value.is_absolute():
        value = value.relative_to(ROOT)
    text = ",".join(value) if isinstance(value, tuple) else str(value)
    return f"`{text}`" if text else "(empty)"


def reference() -> str:
    """The settings reference as a Markdown table: variable, default, what it does."""
    rows = ["| Variable | Default | What it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if name == "slack_webhooks":
            continue
        rows.append(f"| `{variable(name)}` | {_shown_default(name)} | {field.description} |")
    return "\n".join(rows) + "\n"
