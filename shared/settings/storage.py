"""Where a process keeps its state and finds its database, Redis and Celery broker."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field

from shared.settings.environment import PREFIX


class StorageSettings(BaseModel):
    """The data directory, database, Redis and broker; empty URLs mean the embedded default."""

    data_dir: Path = Field(
        Path("var"),
        description=(
            "Local state: SQLite file and embedded Redis (embedded default), generated API key, "
            "beat schedule, outbox files."
        ),
    )
    database_url: str = Field(
        "",
        validation_alias=AliasChoices(PREFIX + "DATABASE_URL", "DATABASE_URL"),
        description=(
            "PostgreSQL URL (`postgresql://user:password@host:5432/db`). Empty: SQLite under the "
            "data directory."
        ),
    )
    redis_url: str = Field(
        "",
        validation_alias=AliasChoices(PREFIX + "REDIS_URL", "REDIS_URL"),
        description=(
            "Redis URL (`redis://host:6379/0`): the Celery broker unless `CXLOOP_BROKER_URL` "
            "names another, and always the notifier's rate limits and circuit breakers and the "
            "desk's login throttle. Empty: an embedded redis-server on a unix socket under the "
            "data directory."
        ),
    )
    broker_url: str = Field(
        "",
        description=(
            "Celery's broker (`redis://` or `amqp://` for RabbitMQ); empty: the Redis above. "
            "Redis is still needed for rate limits, breakers and the login throttle."
        ),
    )

    @property
    def embedded(self) -> bool:
        """Whether this is the one-machine default (no DATABASE_URL, no REDIS_URL)."""
        return not (self.database_url or self.redis_url)

    @property
    def effective_database_url(self) -> str:
        """The configured database, or SQLite under the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'cxloop.db').resolve()}"

    @property
    def embedded_redis_socket(self) -> Path:
        """Unix socket of the embedded Redis used when no REDIS_URL is configured."""
        return (self.data_dir / "redis" / "redis.sock").resolve()

    @property
    def effective_redis_url(self) -> str:
        """The configured Redis, or the embedded one's socket."""
        return self.redis_url or f"unix://{self.embedded_redis_socket}"

    @property
    def effective_broker_url(self) -> str:
        """Celery's broker: the configured one, else the Redis the rest of cxloop uses."""
        return self.broker_url or self.effective_redis_url

    @property
    def outbox_dir(self) -> Path:
        """Where the outbox channel writes messages when no real channel is configured."""
        return self.data_dir / "outbox"
