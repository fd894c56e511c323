"""A notifier refuses to start when it could reach nobody or would log in to SMTP in clear text."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notifier.worker import NotifierConfigError, configured_channels, preflight
from shared.settings import Settings
from shared.settings.environment import SettingsError
from shared.settings.files import EXAMPLE_DESK
from shared.settings.files import EXAMPLE_ROUTES as RETAILER
from shared.settings.secret import Secret

PRODUCTION = Settings(database_url="postgresql://cx@db/cx", redis_url="redis://redis:6379/0")
HOOK = Secret("https://hooks.slack.com/services/T0/B0/x")
RETAILER_HOOKS = {"CXLOOP_SLACK_WEBHOOK_WEB": HOOK, "CXLOOP_SLACK_WEBHOOK_DELIVERY": HOOK}


@pytest.fixture
def no_webhooks(tmp_path: Path) -> Settings:
    """Production settings whose routing file names no webhook variable."""
    routes = tmp_path / "routes.yml"
    routes.write_text(RETAILER.read_text().replace("webhook_url_env:", "channel: '#x'  #"))
    return PRODUCTION.with_(routes_file=routes)


def test_production_notifier_without_any_channel_refuses_to_start(no_webhooks: Settings) -> None:
    with pytest.raises(NotifierConfigError, match="CXLOOP_ALLOW_OUTBOX=1"):
        preflight(no_webhooks)


def test_choosing_the_outbox_explicitly_lets_it_start() -> None:
    preflight(PRODUCTION.with_(allow_outbox=True))


def test_the_embedded_default_may_use_the_outbox() -> None:
    preflight(Settings())
    # `cxloop up` hands its children the embedded Redis's socket: still SQLite, still the outbox.
    preflight(Settings(redis_url="unix:///var/cx/redis.sock"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"smtp_host": "mail", "smtp_security": "starttls"}, ["email"]),
        ({"slack_token": Secret("xoxb-1")}, ["slack bot"]),
    ],
)
def test_any_real_channel_is_enough(
    no_webhooks: Settings, changes: dict[str, object], expected: list[str]
) -> None:
    settings = no_webhooks.with_(**changes)
    assert configured_channels(settings) == expected
    preflight(settings)


def test_the_webhooks_the_routing_file_names_are_read_at_start_and_count() -> None:
    settings = Settings.from_env({**PRODUCTION.to_env(), **RETAILER_HOOKS, "CX_OTHER": HOOK})
    assert settings.slack_webhooks == RETAILER_HOOKS
    assert configured_channels(settings) == [
        "slack webhook CXLOOP_SLACK_WEBHOOK_WEB", "slack webhook CXLOOP_SLACK_WEBHOOK_DELIVERY"
    ]  # fmt: skip
    preflight(settings)


def test_an_unset_webhook_variable_stops_the_start_by_name() -> None:
    one = {"CXLOOP_SLACK_WEBHOOK_WEB": HOOK}
    settings = Settings.from_env({**PRODUCTION.with_(smtp_host="mail").to_env(), **one})
    with pytest.raises(NotifierConfigError, match="CXLOOP_SLACK_WEBHOOK_DELIVERY") as refused:
        preflight(settings)
    assert "CXLOOP_SLACK_WEBHOOK_WEB" not in str(refused.value)
    preflight(settings.with_(allow_outbox=True))  # the outbox, chosen on purpose


@pytest.mark.parametrize(
    "url", ["http://hooks.slack.com/services/x", "hooks.slack.com/x", "ftp://hooks/x", "x"]
)
def test_a_webhook_variable_must_hold_an_https_url(url: str) -> None:
    env = {**PRODUCTION.to_env(), "CXLOOP_SLACK_WEBHOOK_WEB": url}
    with pytest.raises(SettingsError, match="CXLOOP_SLACK_WEBHOOK_WEB must hold an https URL"):
        Settings.from_env(env)


def test_http_is_allowed_to_this_machine_only() -> None:
    env = {**PRODUCTION.to_env(), "CXLOOP_SLACK_WEBHOOK_WEB": "http://127.0.0.1:9/services/x"}
    assert Settings.from_env(env).slack_webhooks["CXLOOP_SLACK_WEBHOOK_WEB"].startswith("http:")


def test_a_webhook_variable_named_only_in_the_desk_file_counts(tmp_path: Path) -> None:
    desk = tmp_path / "desk.yml"
    desk.write_text("champions:\n  slack:\n    - webhook_url_env: CX_CHAMPIONS\n")
    env = {**PRODUCTION.with_(desk_file=desk).to_env(), "CX_CHAMPIONS": "https://hooks.slack.com/y"}
    assert "slack webhook CX_CHAMPIONS" in configured_channels(Settings.from_env(env))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("receivers: [", "invalid YAML"),
        ("receivers:\n  - slack:\n      - webhook_url_env: lower\n",
         "receivers[0].slack[0].webhook_url_env: must name an environment variable"),
    ],
)  # fmt: skip
def test_a_bad_config_file_stops_the_notifier_with_file_key_and_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    routes = tmp_path / "routes.yml"
    routes.write_text(text)
    with pytest.raises(NotifierConfigError, match=str(routes)) as refused:
        preflight(PRODUCTION.with_(routes_file=routes, allow_outbox=True))
    assert reason in str(refused.value)
    with pytest.raises(NotifierConfigError, match="cannot read"):
        preflight(PRODUCTION.with_(desk_file=tmp_path / "missing.yml", allow_outbox=True))


def test_smtp_login_without_tls_refuses_to_start_unless_allowed() -> None:
    plain = PRODUCTION.with_(
        smtp_host="mail", smtp_security="none", smtp_username="cx", smtp_password=Secret("pw"),
        allow_outbox=True,
    )  # fmt: skip
    with pytest.raises(NotifierConfigError, match="CXLOOP_SMTP_ALLOW_PLAIN_LOGIN"):
        preflight(plain)
    preflight(plain.with_(smtp_allow_plain_login=True))
    preflight(plain.with_(smtp_security="starttls"))


def test_unknown_smtp_security_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match="CXLOOP_SMTP_SECURITY: Input should be 'none'"):
        Settings.from_env({"CXLOOP_SMTP_SECURITY": "tls"})


def test_boolean_settings_read_from_the_environment() -> None:
    env = {"CXLOOP_ALLOW_OUTBOX": "1", "CXLOOP_SMTP_ALLOW_PLAIN_LOGIN": "false"}
    settings = Settings.from_env(env)
    assert settings.allow_outbox is True and settings.smtp_allow_plain_login is False
    assert Settings.from_env(settings.to_env()).allow_outbox is True
    with pytest.raises(ValueError, match="CXLOOP_ALLOW_OUTBOX"):
        Settings.from_env({"CXLOOP_ALLOW_OUTBOX": "maybe"})


def test_the_digests_section_is_not_the_notifiers_to_check(tmp_path: Path) -> None:
    # The desk plans digests (the router worker checks this section); the notifier only sends
    # the rows it stored, so a bad digests section does not stop alerts from going out.
    desk = tmp_path / "desk.yml"
    desk.write_text(EXAMPLE_DESK.read_text().replace('daily: {at: "08:30"}', 'daily: {at: "8am"}'))
    preflight(PRODUCTION.with_(allow_outbox=True, desk_file=desk))


def test_a_bad_follow_up_section_stops_the_notifier_with_file_key_and_reason(
    tmp_path: Path,
) -> None:
    desk = tmp_path / "desk.yml"
    desk.write_text(EXAMPLE_DESK.read_text().replace("scale: 0-10", "scale: 0-100"))
    with pytest.raises(NotifierConfigError, match=str(desk)) as refused:
        preflight(PRODUCTION.with_(desk_file=desk, allow_outbox=True))
    assert "follow_up.scale: must be one of 0-10, 1-5" in str(refused.value)
