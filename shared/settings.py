"""Process settings, read once from the environment (12-factor) and passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

PREFIX = "CXLOOP_"
EXAMPLE_ROUTES = Path(__file__).resolve().parent.parent / "examples" / "retailer" / "routes.yml"
EXAMPLE_DESK = EXAMPLE_ROUTES.with_name("desk.yml")
EXAMPLE_SOURCES = EXAMPLE_ROUTES.with_name("sources.yml")


class Secret(str):
    """A string whose repr is masked, so a secret never lands in a log or traceback by accident."""

    def __repr__(self) -> str:
        return "Secret('********')" if self else "Secret('')"


NO_SECRET = Secret("")
POOLS = ("prefork", "threads")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything a cxloop process needs: `from_env()` in production, a literal in tests."""

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    broker_url: str = ""  # Celery's broker (redis:// or amqp://); empty: the Redis above
    routes_file: Path = EXAMPLE_ROUTES
    desk_file: Path = EXAMPLE_DESK
    sources_file: Path = EXAMPLE_SOURCES
    api_keys: tuple[Secret, ...] = ()
    public_url: str = "http://127.0.0.1:8000"
    bind: str = "127.0.0.1:8000"
    web_workers: int = 2
    web_threads: int = 4
    worker_concurrency: int = 2
    router_pool: str = "prefork"  # prefork | threads
    notifier_pool: str = "threads"  # threads | prefork: sending alerts waits on the network
    notifier_concurrency: int = 16  # notifier threads (or processes) per worker
    notifier_endpoint_concurrency: int = 4  # sends in flight per endpoint per notifier worker
    max_content_length: int = 1_048_576
    max_batch: int = 1000
    sweep_interval_s: float = 20.0
    sweep_grace_s: float = 40.0
    delivery_lease_s: float = 90.0
    escalation_interval_s: float = 60.0
    visibility_timeout_s: int = 300
    task_time_limit_s: int = 120
    learn_min_new: int = 20  # corrections since the newest touchpoint model before retraining
    learn_interval_s: float = 300.0
    learn_refresh_s: float = 30.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_username: str = ""
    smtp_password: Secret = NO_SECRET
    smtp_allow_plain_login: bool = False  # log in over an unencrypted connection only if set
    smtp_from: str = "cxloop@localhost"
    smtp_timeout_s: float = 10.0
    slack_token: Secret = NO_SECRET
    slack_api_url: str = "https://slack.com/api"
    allow_outbox: bool = False  # with a database URL, alerts may go to the outbox only if set
    http_timeout_s: float = 10.0
    retry_backoff_s: float = 2.0
    retry_backoff_max_s: float = 300.0
    retry_countdown_max_s: float = 60.0  # longer retries are left to the sweeps, not countdowns
    max_retries: int = 8  # survey-vendor fetches; deliveries have a time budget instead
    delivery_budget_s: float = 86_400.0  # how long a delivery keeps retrying before `failed`
    breaker_threshold: int = 3  # failures in a row that open a channel's circuit breaker
    breaker_probe_s: float = 15.0  # while open, one probe per this interval; the rest wait
    secret_key: Secret = NO_SECRET
    login_max_failures: int = 5
    login_window_s: int = 900
    login_lock_s: int = 60
    login_lock_max_s: int = 3600
    log_level: str = "INFO"
    log_format: str = "json"  # json | text

    def __post_init__(self) -> None:
        """Refuse timings under which Redis would hand a task to a second worker while it runs.

        Redis restores an unacknowledged message after the visibility timeout. A countdown
        message is unacknowledged from the moment a worker takes it, through its countdown and
        its run (at most the hard time limit), so both together must end well before that.
        """
        if self.delivery_budget_s <= 0 or self.breaker_probe_s <= 0 or self.breaker_threshold < 1:
            raise ValueError(
                f"{PREFIX}DELIVERY_BUDGET_S and {PREFIX}BREAKER_PROBE_S must be positive, "
                f"{PREFIX}BREAKER_THRESHOLD at least 1"
            )
        pools = {self.router_pool, self.notifier_pool}
        if not pools <= set(POOLS) or min(self.worker_concurrency, self.notifier_concurrency) < 1:
            raise ValueError(
                f"{PREFIX}ROUTER_POOL and {PREFIX}NOTIFIER_POOL must be one of {', '.join(POOLS)}, "
                f"{PREFIX}WORKER_CONCURRENCY and {PREFIX}NOTIFIER_CONCURRENCY at least 1"
            )
        if self.notifier_endpoint_concurrency < 1:
            raise ValueError(f"{PREFIX}NOTIFIER_ENDPOINT_CONCURRENCY must be at least 1")
        busiest = self.retry_countdown_max_s + self.task_time_limit_s
        if busiest >= self.visibility_timeout_s:
            raise ValueError(
                f"{PREFIX}RETRY_COUNTDOWN_MAX_S ({self.retry_countdown_max_s:g}) + "
                f"{PREFIX}TASK_TIME_LIMIT_S ({self.task_time_limit_s}) must stay below "
                f"{PREFIX}VISIBILITY_TIMEOUT_S ({self.visibility_timeout_s}), or Redis hands a "
                "waiting or running task to a second worker"
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

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """Return the CXLOOP_* variables that rebuild these settings in a child process."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            text = ",".join(value) if isinstance(value, tuple) else str(value)
            env[PREFIX + f.name.upper()] = text
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from CXLOOP_* variables (DATABASE_URL and REDIS_URL also unprefixed)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None and f.name in ("database_url", "redis_url"):
                raw = env.get(f.name.upper())
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        return cls(**values)  # type: ignore[arg-type]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _coerce(name: str, type_name: object, raw: str) -> object:
    kind = str(type_name)
    try:
        if kind == "bool":
            if raw.strip().lower() not in _TRUE | _FALSE:
                raise ValueError("expected 1/0, true/false, yes/no or on/off")
            return raw.strip().lower() in _TRUE
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        if kind == "Secret":
            return Secret(raw)
        if kind.startswith("tuple"):
            return tuple(Secret(v) for v in _split(raw))
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{name.upper()}: cannot parse {raw!r}: {exc}") from exc
    return raw
