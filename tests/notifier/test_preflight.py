"""A notifier refuses to start when it could reach nobody or would log in to SMTP in clear text."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notifier.worker import NotifierConfigError, configured_channels, preflight
from shared.settings import Secret, Settings

PRODUCTION = Settings(database_url="postgresql://cx@db/cx", redis_url="redis://redis:6379/0")


def test_production_notifier_without_any_channel_refuses_to_start() -> None:
    with pytest.raises(NotifierConfigError, match="CXLOOP_ALLOW_OUTBOX=1"):
        preflight(PRODUCTION, environ={})


def test_choosing_the_outbox_explicitly_lets_it_start() -> None:
    preflight(PRODUCTION.with_(allow_outbox=True), environ={})


def test_the_embedded_default_may_use_the_outbox() -> None:
    preflight(Settings(), environ={})


@pytest.mark.parametrize(
    ("changes", "environ", "expected"),
    [
        ({"smtp_host": "mail", "smtp_security": "starttls"}, {}, ["email"]),
        ({"slack_token": Secret("xoxb-1")}, {}, ["slack bot"]),
        ({}, {"CXLOOP_SLACK_WEBHOOK_DELIVERY": "https://hooks.slack.com/x"},
         ["slack webhook CXLOOP_SLACK_WEBHOOK_DELIVERY"]),
    ],
)  # fmt: skip
def test_any_real_channel_is_enough(
    changes: dict[str, object], environ: dict[str, str], expected: list[str]
) -> None:
    settings = PRODUCTION.with_(**changes)
    assert configured_channels(settings, environ) == expected
    preflight(settings, environ=environ)


def test_a_webhook_variable_named_only_in_the_desk_file_counts(tmp_path: Path) -> None:
    desk = tmp_path / "desk.yml"
    desk.write_text("champions:\n  slack:\n    - webhook_url_env: CX_CHAMPIONS\n")
    settings = PRODUCTION.with_(desk_file=desk)
    assert configured_channels(settings, {"CX_CHAMPIONS": "https://hooks.slack.com/y"})


def test_smtp_login_without_tls_refuses_to_start_unless_allowed() -> None:
    plain = PRODUCTION.with_(
        smtp_host="mail", smtp_security="none", smtp_username="cx", smtp_password=Secret("pw")
    )
    with pytest.raises(NotifierConfigError, match="CXLOOP_SMTP_ALLOW_PLAIN_LOGIN"):
        preflight(plain, environ={})
    preflight(plain.with_(smtp_allow_plain_login=True), environ={})
    preflight(plain.with_(smtp_security="starttls"), environ={})


def test_unknown_smtp_security_refuses_to_start() -> None:
    with pytest.raises(NotifierConfigError, match="CXLOOP_SMTP_SECURITY"):
        preflight(PRODUCTION.with_(smtp_host="mail", smtp_security="tls"), environ={})


def test_boolean_settings_read_from_the_environment() -> None:
    env = {"CXLOOP_ALLOW_OUTBOX": "1", "CXLOOP_SMTP_ALLOW_PLAIN_LOGIN": "false"}
    settings = Settings.from_env(env)
    assert settings.allow_outbox is True and settings.smtp_allow_plain_login is False
    assert Settings.from_env(settings.to_env()).allow_outbox is True
    with pytest.raises(ValueError, match="CXLOOP_ALLOW_OUTBOX"):
        Settings.from_env({"CXLOOP_ALLOW_OUTBOX": "maybe"})
