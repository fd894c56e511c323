"""Process settings: typed, validated and documented in one place, read once at start.

`Settings.from_env()` reads the CXLOOP_* variables (and the Slack webhook variables the routing
and desk files name) through pydantic-settings; a literal `Settings(...)` is exactly what it says,
which is what tests use. A bad value stops the process at start with the variable's name (never
a secret's value). `reference()` renders the table in docs/operations.md from the fields.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AliasChoices,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PREFIX = "CXLOOP_"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ROUTES = ROOT / "examples" / "retailer" / "routes.yml"
EXAMPLE_DESK = EXAMPLE_ROUTES.with_name("desk.yml")
EXAMPLE_SOURCES = EXAMPLE_ROUTES.with_name("sources.yml")
WEBHOOK_KEY = "webhook_url_env"  # the routing and desk files' key naming a webhook variable
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class Secret(str):
    """A string whose repr is masked, so a secret never lands in a log or traceback by accident."""

    def __repr__(self) -> str:
        return "Secret('********')" if self else "Secret('')"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())


NO_SECRET = Secret("")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names each variable and the reason."""


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class Settings(BaseSettings):
    """Everything a cxloop process needs: `from_env()` in production, a literal in tests."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="forbid", validate_by_name=True
    )

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
        4,
        ge=1,
        description="Threads per gunicorn worker.",
    )
    worker_concurrency: int = Field(
        2,
        ge=1,
        description="Celery pool processes per router worker (and per notifier on prefork).",
    )
    router_pool: Literal["prefork", "threads"] = Field(
        "prefork",
        description="The router's Celery pool: prefork (routing is CPU work) or threads.",
    )
    notifier_pool: Literal["prefork", "threads"] = Field(
        "threads",
        description="The notifier's Celery pool: threads (sends wait on the network) or prefork.",
    )
    notifier_concurrency: int = Field(
        16,
        ge=1,
        description="Notifier threads (or processes on prefork) per notifier worker.",
    )
    notifier_endpoint_concurrency: int = Field(
        4,
        ge=1,
        description=(
            "Sends in flight per endpoint (SMTP server, Slack workspace, webhook) per notifier "
            "worker, under Slack's per-channel limits; the Redis rate limit still applies."
        ),
    )
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
    sweep_interval_s: float = Field(
        20.0,
        gt=0,
        description="How often beat sends the sweeps that re-enqueue unfinished work.",
    )
    sweep_grace_s: float = Field(
        40.0,
        gt=0,
        description=(
            "Age after which an unrouted response or a pending delivery counts as lost and is "
            "re-enqueued."
        ),
    )
    delivery_lease_s: float = Field(
        90.0,
        gt=0,
        description=(
            "How long a notifier owns a delivery it is sending; after it, a sweep hands the "
            "delivery to another worker."
        ),
    )
    escalation_interval_s: float = Field(
        60.0,
        gt=0,
        description="How often SLA escalations are checked.",
    )
    digest_interval_s: float = Field(
        300.0,
        gt=0,
        description=(
            "How often beat asks which daily and weekly digests are due (desk.yml `digests`); "
            "a digest goes out within this long after its local time."
        ),
    )
    visibility_timeout_s: int = Field(
        300,
        gt=0,
        description=(
            "Redis transport: when an unacknowledged task of a dead worker is handed out again. "
            "Must exceed the countdown cap plus the task time limit (checked at start)."
        ),
    )
    task_time_limit_s: int = Field(
        120,
        gt=0,
        description="Hard limit on one task (the soft limit is 10 s less).",
    )
    learn_min_new: int = Field(
        20,
        ge=1,
        description=(
            "Corrections of touchpoints needed since the newest touchpoint model before "
            '`router.retrain_touchpoints` trains another (see "Learning from corrections" in '
            "docs/quality.md)."
        ),
    )
    learn_interval_s: float = Field(
        300.0,
        gt=0,
        description="How often beat sends `router.retrain_touchpoints`.",
    )
    learn_refresh_s: float = Field(
        30.0,
        gt=0,
        description=(
            "How often a router worker asks the database which touchpoint model is active (never "
            "once per comment)."
        ),
    )
    smtp_host: str = Field(
        "",
        description="SMTP server for email alerts. Empty: email alerts go to the outbox.",
    )
    smtp_port: int = Field(
        25,
        ge=1,
        le=65535,
        description="SMTP port (587 for STARTTLS, 465 for SSL).",
    )
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        "none",
        description="`none`, `starttls` or `ssl`.",
    )
    smtp_username: str = Field(
        "",
        description="SMTP login, if the server wants one.",
    )
    smtp_password: Secret = Field(
        NO_SECRET,
        description="SMTP password (secret).",
    )
    smtp_allow_plain_login: bool = Field(
        False,
        description=(
            "Allow an SMTP login over an unencrypted connection (`CXLOOP_SMTP_SECURITY=none`). "
            "Off: the notifier refuses to start with a username and no TLS."
        ),
    )
    smtp_from: str = Field(
        "cxloop@localhost",
        description="Sender address of alert emails.",
    )
    smtp_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Timeout of every SMTP operation.",
    )
    slack_token: Secret = Field(
        NO_SECRET,
        description="Slack bot token (secret) for `channel:` targets via `chat.postMessage`.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api",
        description="Slack Web API base URL.",
    )
    slack_signing_secret: Secret = Field(
        NO_SECRET,
        description=(
            "Slack app signing secret (secret): verifies Slack's interactivity requests (alert "
            "buttons) at `/v1/slack/interactions`; without it that endpoint answers 503."
        ),
    )
    action_link_ttl_s: float = Field(
        259_200.0,
        description="How long the one-click action links in alert emails work (3 days).",
    )
    allow_outbox: bool = Field(
        False,
        description=(
            "With a database URL set, the notifier refuses to start while a Slack webhook "
            "variable the routing or desk file names is unset, and when no channel is configured "
            "(no SMTP host, no Slack token, no webhook); set to `1` to choose the outbox files "
            "on purpose."
        ),
    )
    http_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Timeout of every outbound HTTP call (Slack).",
    )
    retry_backoff_s: float = Field(
        2.0,
        gt=0,
        description=(
            "First retry delay of a transient channel failure; doubles each attempt, with jitter."
        ),
    )
    retry_backoff_max_s: float = Field(
        300.0,
        gt=0,
        description="Cap of the retry delay.",
    )
    retry_countdown_max_s: float = Field(
        60.0,
        gt=0,
        description=(
            "Longest retry sent as a countdown message; longer ones are left to the delivery sweep."
        ),
    )
    max_retries: int = Field(
        8,
        ge=0,
        description=(
            "Retries of a thin-webhook fetch from a survey vendor's API (deliveries use the time "
            "budget below)."
        ),
    )
    delivery_budget_s: float = Field(
        86400.0,
        gt=0,
        description=(
            "How long a delivery keeps retrying transient failures, from its first failed "
            "attempt, before it is marked `failed`. 429s and rate-limit waits do not spend it."
        ),
    )
    breaker_threshold: int = Field(
        3,
        ge=1,
        description=(
            "Failed sends in a row to one endpoint (SMTP server, Slack workspace, one webhook) "
            "that open its circuit breaker. A send that fails while another send to the "
            "endpoint succeeds does not count."
        ),
    )
    breaker_probe_s: float = Field(
        15.0,
        gt=0,
        description=(
            "While a breaker is open, one probe send per this interval; held deliveries wake "
            "every 1-2 intervals. Also the shortest time between two releases of deliveries "
            "backing off after failed sends to an endpoint that works."
        ),
    )
    secret_key: Secret = Field(
        NO_SECRET,
        description=(
            "Key signing the desk's session cookies (secret, the same for every web process). At "
            "least 32 random bytes outside the embedded default, which generates one into `<data "
            "dir>/secret-key`."
        ),
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description=(
            "Failed desk log-ins per account within the window before it is locked (per client "
            "address: four times this)."
        ),
    )
    login_window_s: int = Field(
        900,
        gt=0,
        description="Window in which failed log-ins are counted.",
    )
    login_lock_s: int = Field(
        60,
        gt=0,
        description=(
            "First lock after too many failures; each further failure after a lock doubles it."
        ),
    )
    login_lock_max_s: int = Field(
        3600,
        gt=0,
        description="Longest lock.",
    )
    metrics_bind: str = Field(
        "",
        description=(
            "host:port where each Celery worker (router, notifier) serves /metrics for "
            "Prometheus; empty: not served. Under `cxloop up` the notifier takes the next port."
        ),
    )
    beat_lock_ttl_s: float = Field(
        30.0,
        gt=0,
        description=(
            "Lifetime of the one-beat lock in Redis, refreshed while beat runs: a second beat "
            "waits, and a beat that died unseen holds the lock at most this long."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO",
        description="Log level of every process.",
    )
    log_format: Literal["json", "text"] = Field(
        "json",
        description="`json` (one object per line, ids as fields) or `text`.",
    )
    slack_webhooks: dict[str, Secret] = Field(
        default_factory=dict,
        description=(
            "Not a variable: the Slack incoming-webhook URLs (secrets), read at start from the "
            "variables that `webhook_url_env` names in the routing and desk files. Each must be an "
            "https URL (http only to this machine); the notifier refuses to start while one is "
            "unset, unless `CXLOOP_ALLOW_OUTBOX=1` or on SQLite (the embedded default)."
        ),
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

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return _split(value) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("slack_webhooks")
    @classmethod
    def _webhook_urls(cls, value: dict[str, Secret]) -> dict[str, Secret]:
        for name, url in value.items():
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an environment variable name (A-Z, 0-9, _)")
            if not _webhook_url(url):
                raise ValueError(f"{name} must hold an https URL (http only to this machine)")
        return value

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

    def webhook_variables(self) -> tuple[str, ...]:
        """The webhook variables the routing and desk files name, in the order they appear."""
        names = [n for path in (self.routes_file, self.desk_file) for n in webhook_variables(path)]
        return tuple(dict.fromkeys(names))

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
            values = _Environment(cls, env)()
            settings = cls(**values)
            webhooks = {n: env[n] for n in settings.webhook_variables() if env.get(n)}
            return settings.with_(slack_webhooks=webhooks) if webhooks else settings
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None


class _Environment(EnvSettingsSource):
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


def _variable(field: str) -> str:
    return field if field.isupper() else PREFIX + field.upper()


def _explain(error: ValidationError) -> str:
    """Name each variable and the reason; show the value only when it is not a secret."""
    lines = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        reason = item["msg"].removeprefix("Value error, ")
        if not loc:
            lines.append(reason)
            continue
        name = loc[0] if loc[0].isupper() else loc[0].lower()
        field = Settings.model_fields.get(name)
        if name == "slack_webhooks":
            lines.append(reason)
            continue
        secret = field is not None and "Secret" in str(field.annotation)
        shown = "" if secret or "input" not in item else f" (got {item['input']!r})"
        lines.append(f"{_variable(name)}: {reason}{shown}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def _webhook_url(url: str) -> bool:
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    try:
        return parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class ConfigFileError(ValueError):
    """A config file cannot be read or holds a bad value; the message names file, key and reason."""


def webhook_references(path: Path) -> list[str]:
    """The variables a routing or desk file names by `webhook_url_env`, each checked."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}: invalid YAML: {exc}") from None
    names = []
    for key, value in _found(WEBHOOK_KEY, document, ""):
        if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
            raise ConfigFileError(
                f"{path}: {key}: must name an environment variable (A-Z, 0-9, _), not {value!r}"
            )
        names.append(value)
    return names


def webhook_variables(path: Path) -> list[str]:
    """The webhook variables a file names, or none if it is bad (its users report that)."""
    try:
        return webhook_references(path)
    except ConfigFileError:
        return []


def _found(key: str, node: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, value in node.items():
            inner = f"{where}.{name}" if where else str(name)
            if name == key:
                yield inner, value
            else:
                yield from _found(key, value, inner)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _found(key, item, f"{where}[{index}]")


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
        rows.append(f"| `{_variable(name)}` | {_shown_default(name)} | {field.description} |")
    return "\n".join(rows) + "\n"
