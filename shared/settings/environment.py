"""Settings and the environment: variable names, reading a given mapping, naming what is wrong."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource

PREFIX = "CXLOOP_"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names each variable and the reason."""


class Environment(EnvSettingsSource):
    """pydantic-settings' environment source, over a given mapping rather than os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Names match whatever their case, as pydantic-settings' own source does on its default;
        # an empty variable counts as unset (compose files pass `${X:-}`).
        env = {k.lower(): v for k, v in self._environ.items() if v or not self.env_ignore_empty}
        env.pop((PREFIX + "SLACK_WEBHOOKS").lower(), None)  # filled from the named variables
        return env


def variable(field: str) -> str:
    """The environment variable of a field (a webhook variable is named as it is)."""
    return field if field.isupper() else PREFIX + field.upper()


def explain(error: ValidationError, fields: Mapping[str, FieldInfo]) -> str:
    """Name each variable and the reason; show the value only when it is not a secret."""
    lines = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        reason = item["msg"].removeprefix("Value error, ")
        if not loc:
            lines.append(reason)
            continue
        name = loc[0] if loc[0].isupper() else loc[0].lower()
        field = fields.get(name)
        if name == "slack_webhooks":
            lines.append(reason)
            continue
        secret = field is not None and "Secret" in str(field.annotation)
        shown = "" if secret or "input" not in item else f" (got {item['input']!r})"
        lines.append(f"{variable(name)}: {reason}{shown}")
    return "invalid settings:\n  " + "\n  ".join(lines)
