"""How the notifier delivers alerts: its channels, then retries and circuit breakers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from shared.settings.secret import NO_SECRET, Secret


class ChannelSettings(BaseModel):
    """SMTP, Slack, the alert emails' action links and the outbox."""

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


class RetrySettings(BaseModel):
    """Retries of transient failures, and the per-endpoint breakers."""

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
