"""Fixtures for the whole loop on real processes: PostgreSQL, Redis, SMTP and a Slack stand-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.settings import Settings
from shared.settings.secret import Secret
from tests.e2e.harness import free_port
from tests.support.services import rabbitmq_vhost
from tests.support.slack_standin import SlackStandin, slack_standin
from tests.support.smtp import SMTPRecorder, smtp_server

KEY = "e2e-key-0f6c1d9a4b7e2c58a3d0f9e1b6c4a7d2"  # long enough for the start-up check
OWNER = "delivery-lead@example.com"
WEBHOOK_ENV = "CXLOOP_SLACK_WEBHOOK_E2E"
ROUTES = f"""\
touchpoints:
  delivery:
    description: "Delivery: couriers, parcels, late, missing or damaged deliveries, tracking"
    keywords: [courier, parcel, tracking]
  general:
    description: "Anything else"
default_touchpoint: general
receivers:
  - name: delivery-team
    email: [{OWNER}]
    slack:
      - webhook_url_env: {WEBHOOK_ENV}
route:
  receiver: delivery-team
"""


@pytest.fixture
def smtp() -> Iterator[SMTPRecorder]:
    """A real SMTP server that records what it receives."""
    with smtp_server() as recorder:
        yield recorder


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    """A real HTTP server standing in for Slack."""
    with slack_standin() as standin:
        yield standin


@pytest.fixture
def broker_url() -> Iterator[str]:
    """Celery's broker: Redis (empty: the redis_url), or with CXLOOP_TEST_BROKER=rabbitmq a
    fresh virtual host on the machine's RabbitMQ, so the same tests prove both brokers."""
    if os.environ.get("CXLOOP_TEST_BROKER", "redis") != "rabbitmq":
        yield ""
        return
    with rabbitmq_vhost() as url:
        yield url


@pytest.fixture
def loop_settings(
    tmp_path: Path, postgres_url: str, redis_url: str, smtp: SMTPRecorder, slack: SlackStandin,
    broker_url: str,
) -> Settings:  # fmt: skip
    """Production-shaped settings (PostgreSQL, Redis, SMTP, Slack) with short sweeps."""
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    port = free_port()
    return Settings(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        redis_url=redis_url,
        broker_url=broker_url,
        routes_file=routes,
        api_keys=(f"ingest-write:{KEY}", f"cases-read:{KEY}"),
        secret_key=Secret("e2e-session-key-7c2e9b4f1a6d3e8c5b0a9f2d4e7c1b6a"),
        bind=f"127.0.0.1:{port}",
        public_url=f"http://127.0.0.1:{port}",
        web_workers=1,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        slack_api_url=slack.api_url,
        sweep_interval_s=2,
        sweep_grace_s=4,
        delivery_lease_s=5,
        retry_backoff_s=0.5,
        retry_backoff_max_s=5,
        log_format="text",
    )


@pytest.fixture
def loop_env(slack: SlackStandin) -> dict[str, str]:
    """The secret webhook URL, in the variable the routing file names."""
    return {WEBHOOK_ENV: slack.webhook_url}
