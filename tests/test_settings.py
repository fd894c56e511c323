"""Settings are typed, validated at start naming the variable, and documented from one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxloop.cli import main
from shared.settings import Settings
from shared.settings.environment import SettingsError
from shared.settings.reference import reference
from shared.settings.secret import Secret

OPERATIONS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def test_the_documented_table_is_the_one_the_settings_generate() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    start = text.index("| Variable | Default | What it does |")
    end = text.index("\n\n", start)
    assert text[start:end] + "\n" == reference(), "paste `cxloop settings` into docs/operations.md"


def test_every_setting_says_what_it_does() -> None:
    undocumented = [
        n for n, f in Settings.model_fields.items() if not (f.description or "").strip()
    ]
    assert undocumented == []


def test_cxloop_settings_prints_the_reference() -> None:
    result = CliRunner().invoke(main, ["settings"])
    assert result.exit_code == 0 and result.output == reference()


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("CXLOOP_SMTP_PORT", "twenty-five", "valid integer"),
        ("CXLOOP_SMTP_PORT", "70000", "less than or equal to 65535"),
        ("CXLOOP_WEB_WORKERS", "0", "greater than or equal to 1"),
        ("CXLOOP_SWEEP_INTERVAL_S", "-1", "greater than 0"),
        ("CXLOOP_ALLOW_OUTBOX", "maybe", "valid boolean"),
        ("CXLOOP_SMTP_SECURITY", "tls", "'none', 'starttls' or 'ssl'"),
        ("CXLOOP_LOG_FORMAT", "xml", "'json' or 'text'"),
        ("CXLOOP_LOG_LEVEL", "loud", "'DEBUG'"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable_and_the_reason(
    variable: str, value: str, reason: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    assert f"{variable}: " in str(refused.value) and reason in str(refused.value)
    assert f"got {value!r}" in str(refused.value).replace("LOUD", "loud")  # levels are upper-cased


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"CXLOOP_SMTP_PORT": "x", "CXLOOP_MAX_BATCH": "y"})
    assert "CXLOOP_SMTP_PORT" in str(refused.value) and "CXLOOP_MAX_BATCH" in str(refused.value)


def test_a_secret_value_is_never_shown_in_the_error(tmp_path: Path) -> None:
    desk = tmp_path / "desk.yml"
    desk.write_text("champions:\n  slack:\n    - webhook_url_env: CX_HOOK\n")
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"CXLOOP_DESK_FILE": str(desk), "CX_HOOK": "ftp://hooks/T0/topsecret"})
    assert "CX_HOOK must hold an https URL" in str(refused.value)
    assert "topsecret" not in str(refused.value)


def test_values_are_typed() -> None:
    settings = Settings.from_env(
        {
            "CXLOOP_SMTP_PORT": "587",
            "CXLOOP_ALLOW_OUTBOX": "yes",
            "CXLOOP_HTTP_TIMEOUT_S": "2.5",
            "CXLOOP_DATA_DIR": "/srv/cx",
            "CXLOOP_API_KEYS": "ingest-write:k1, cases-read:k2,",
            "CXLOOP_LOG_LEVEL": "debug",
            "CXLOOP_SMTP_FROM": "",  # empty counts as unset
        }
    )
    assert (settings.smtp_port, settings.allow_outbox, settings.http_timeout_s) == (587, True, 2.5)
    assert settings.data_dir == Path("/srv/cx") and settings.log_level == "DEBUG"
    assert settings.api_keys == ("ingest-write:k1", "cases-read:k2")
    assert all(isinstance(key, Secret) for key in settings.api_keys)
    assert "k1" not in repr(settings) and settings.smtp_from == "cxloop@localhost"


def test_database_and_redis_urls_are_read_with_or_without_the_prefix() -> None:
    plain = Settings.from_env({"DATABASE_URL": "postgresql://a/b", "REDIS_URL": "redis://r/0"})
    assert (plain.database_url, plain.redis_url) == ("postgresql://a/b", "redis://r/0")
    both = {"DATABASE_URL": "postgresql://a/b", "CXLOOP_DATABASE_URL": "postgresql://c/d"}
    assert Settings.from_env(both).database_url == "postgresql://c/d"


def test_a_literal_is_exactly_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXLOOP_SMTP_PORT", "2525")
    assert Settings().smtp_port == 25
    assert Settings.from_env().smtp_port == 2525


def test_a_child_process_rebuilds_the_same_settings_webhooks_included() -> None:
    hooks = {"CXLOOP_SLACK_WEBHOOK_WEB": "https://hooks.slack.com/services/T/B/x"}
    settings = Settings.from_env({"CXLOOP_SMTP_PORT": "2525", **hooks})
    assert settings.slack_webhooks == hooks
    assert Settings.from_env(settings.to_env()) == settings
    assert hash(Settings.from_env(settings.to_env())) == hash(settings)


def test_changes_are_validated_too() -> None:
    with pytest.raises(ValueError, match="smtp_port"):
        Settings().with_(smtp_port="x")
    with pytest.raises(ValueError, match="unknown_setting"):
        Settings().with_(unknown_setting=1)


def test_a_command_stops_at_start_naming_the_bad_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CXLOOP_WORKER_CONCURRENCY", "many")
    for args in (["settings", "--check"], ["worker", "router"], ["beat"], ["migrate"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, args
        assert "CXLOOP_WORKER_CONCURRENCY: Input should be a valid integer" in result.output
        assert "Traceback" not in result.output


BAD_FILES = {
    "routes": "CXLOOP_ROUTES_FILE",
    "desk": "CXLOOP_DESK_FILE",
    "sources": "CXLOOP_SOURCES_FILE",
}


@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["worker", "router"], ("routes", "desk", "sources")),
        (["worker", "notifier"], ("routes", "desk")),
        (["serve"], ("routes", "desk", "sources")),
    ],
)
def test_every_process_stops_at_start_on_a_bad_config_file_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], files: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CXLOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CXLOOP_ALLOW_OUTBOX", "1")
    for name in files:
        bad = tmp_path / f"{name}.yml"
        bad.write_text("key: [")
        with monkeypatch.context() as m:
            m.setenv(BAD_FILES[name], str(bad))
            result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (args, name, result.output)
        assert str(bad) in result.output and "Traceback" not in result.output
        assert re.search("(invalid|not valid) YAML", result.output), (args, name, result.output)
