"""Fixtures for the notifier: a real SMTP server, a Slack stand-in, notifier settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.settings import Settings
from shared.settings.secret import Secret
from tests.support.slack_standin import SlackStandin, slack_standin
from tests.support.smtp import SMTPRecorder, smtp_server

# The two the example routing file names, and one for tests that create deliveries directly.
WEBHOOK_VARIABLES = (
    "CXLOOP_SLACK_WEBHOOK_WEB", "CXLOOP_SLACK_WEBHOOK_DELIVERY", "CXLOOP_SLACK_WEBHOOK_TEST"
)  # fmt: skip


@pytest.fixture
def smtp() -> Iterator[SMTPRecorder]:
    """A real SMTP server on a free port, recording what it accepts."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    """A local HTTP server answering like Slack's webhooks and Web API."""
    with slack_standin() as standin:
        yield standin


def _pointing_at(smtp: SMTPRecorder, slack: SlackStandin) -> dict[str, Any]:
    return {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_timeout_s": 5.0,
        "slack_api_url": slack.api_url,
        "slack_token": Secret(slack.token),
        # The URLs a notifier reads at start from the variables its files name, and the test one.
        "slack_webhooks": {name: Secret(slack.webhook_url) for name in WEBHOOK_VARIABLES},
        "http_timeout_s": 2.0,
        "retry_backoff_s": 0.2,
        "retry_backoff_max_s": 0.5,
        "max_retries": 3,
        "public_url": "https://cx.example.com",
    }


@pytest.fixture
def channel_settings(tmp_path: Path, smtp: SMTPRecorder, slack: SlackStandin) -> Settings:
    """Settings for channel tests that need no database."""
    return Settings(data_dir=tmp_path / "data", log_format="text", **_pointing_at(smtp, slack))


@pytest.fixture
def notifier_settings(settings: Settings, smtp: SMTPRecorder, slack: SlackStandin) -> Settings:
    """The test database's settings with every channel pointing at the local stand-ins."""
    return settings.with_(**_pointing_at(smtp, slack))
