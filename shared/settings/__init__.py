"""Process settings: typed, validated and documented in one place, read once at start.

`Settings.from_env()` reads the CXLOOP_* variables (and the Slack webhook variables the routing
and desk files name) through pydantic-settings; a literal `Settings(...)` is exactly what it says,
which is what tests use. A bad value stops the process at start with the variable's name (never
a secret's value). Each section of fields lives in the module of its concern; `reference` renders
the table in docs/operations.md from them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.settings.delivery import ChannelSettings, RetrySettings
from shared.settings.desk import DeskSettings
from shared.settings.environment import PREFIX, Environment, SettingsError, explain
from shared.settings.files import FileSettings
from shared.settings.operations import OperationsSettings
from shared.settings.storage import StorageSettings
from shared.settings.web import IngestSettings, WebSettings
from shared.settings.webhooks import WebhookSettings
from shared.settings.workers import LearningSettings, TimingSettings, WorkerSettings


# pydantic collects fields from the last base to the first: the sections are listed bottom-up,
# so the fields (and the settings table) read from StorageSettings down to WebhookSettings.
class Settings(
    WebhookSettings,
    OperationsSettings,
    DeskSettings,
    RetrySettings,
    ChannelSettings,
    LearningSettings,
    TimingSettings,
    IngestSettings,
    WorkerSettings,
    WebSettings,
    FileSettings,
    StorageSettings,
    BaseSettings,
):
    """Everything a cxloop process needs: `from_env()` in production, a literal in tests."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="forbid", validate_by_name=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """A literal is exactly what it says: only `from_env()` reads the environment."""
        return (init_settings,)

    @model_validator(mode="after")
    def _timings(self) -> Settings:
        """Refuse timings under which Redis would hand a task to a second worker while it runs.

        Redis restores an unacknowledged message after the visibility timeout. A countdown
        message is unacknowledged from the moment a worker takes it, through its countdown and
        its run (at most the hard time limit), so both together must end well before that.
        """
        busiest = self.retry_countdown_max_s + self.task_time_limit_s
        if busiest >= self.visibility_timeout_s:
            raise ValueError(
                f"{PREFIX}RETRY_COUNTDOWN_MAX_S ({self.retry_countdown_max_s:g}) + "
                f"{PREFIX}TASK_TIME_LIMIT_S ({self.task_time_limit_s}) must stay below "
                f"{PREFIX}VISIBILITY_TIMEOUT_S ({self.visibility_timeout_s}), or Redis hands a "
                "waiting or running task to a second worker"
            )
        return self

    def __hash__(self) -> int:
        """Hashable like the frozen value it is (the webhook mapping hashed as its items)."""
        return hash(tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v for _, v in self))

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed, validated like the original."""
        return type(self)(**{**dict(self), **changes})

    def to_env(self) -> dict[str, str]:
        """Return the variables that rebuild these settings in a child process."""
        env = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "slack_webhooks":
                env.update(value)
                continue
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            env[PREFIX + name.upper()] = text
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate CXLOOP_* variables (DATABASE_URL and REDIS_URL also unprefixed).

        Then read the Slack webhook variables the routing and desk files name. SettingsError
        names every bad variable and why; a secret's value never appears in it.
        """
        env = os.environ if environ is None else environ
        try:
            values = Environment(cls, env)()
            settings = cls(**values)
            webhooks = {n: env[n] for n in settings.webhook_variables() if env.get(n)}
            return settings.with_(slack_webhooks=webhooks) if webhooks else settings
        except ValidationError as exc:
            raise SettingsError(explain(exc, cls.model_fields)) from None
