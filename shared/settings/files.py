"""The configuration files a process reads, defaulting to the retailer example that ships."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from shared.settings.webhooks import webhook_variables

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE_ROUTES = ROOT / "examples" / "retailer" / "routes.yml"
EXAMPLE_DESK = EXAMPLE_ROUTES.with_name("desk.yml")
EXAMPLE_SOURCES = EXAMPLE_ROUTES.with_name("sources.yml")


class FileSettings(BaseModel):
    """The routing, desk and sources files."""

    routes_file: Path = Field(
        EXAMPLE_ROUTES,
        description=(
            "The routing tree (touchpoints, policy, receivers, routes). Validated at start by "
            "every process that reads it (router, notifier, ingest). The image ships it as "
            "`/etc/cxloop/routes.yml`."
        ),
    )
    desk_file: Path = Field(
        EXAMPLE_DESK,
        description=(
            "The champions' desk configuration (see docs/desk.md). Validated at start by every "
            "process that reads it (router, notifier, ingest)."
        ),
    )
    sources_file: Path = Field(
        EXAMPLE_SOURCES,
        description=(
            "Survey-source adapters and their settings (see docs/sources/). Validated at start by "
            "every process that reads it (ingest, router)."
        ),
    )

    def webhook_variables(self) -> tuple[str, ...]:
        """The webhook variables the routing and desk files name, in the order they appear."""
        names = [n for path in (self.routes_file, self.desk_file) for n in webhook_variables(path)]
        return tuple(dict.fromkeys(names))
