"""Outside the embedded default, the web process refuses placeholder and short secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.web import create_app_from_env
from services.ingest.startup import check_secrets
from shared.safety import UnsafeSettings, is_placeholder
from shared.settings import Settings

GOOD = "Vb0-Jx2sQ9kLr7Tf4WcYp1Zn8Hd6Ma3EoUgiK5ySjR"  # 43 random characters
PRODUCTION = {
    "CXLOOP_DATABASE_URL": "postgresql://cx:pw@127.0.0.1:1/cx",
    "CXLOOP_REDIS_URL": "redis://127.0.0.1:1/0",
    "CXLOOP_SECRET_KEY": GOOD,
    "CXLOOP_API_KEYS": f"ingest-write:{GOOD}x",
}


def settings_of(env: dict[str, str], tmp_path: Path) -> Settings:
    return Settings.from_env({**env, "CXLOOP_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CXLOOP_SECRET_KEY", "change-me", "placeholder"),
        ("CXLOOP_SECRET_KEY", "short-but-random-9f3", "20 bytes long; use at least 32"),
        ("CXLOOP_API_KEYS", "change-me", "placeholder"),
        ("CXLOOP_API_KEYS", f"{GOOD},cases-read:tiny", "4 bytes long"),
        ("CXLOOP_TYPEFORM_SECRET", "change-me", "placeholder"),
        ("CXLOOP_TYPEFORM_SECRET", "tf-123", "6 bytes long; use at least 16"),
    ],
)
def test_a_placeholder_or_short_secret_stops_the_start_naming_its_variable(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    env = {**PRODUCTION, variable: value}
    with pytest.raises(UnsafeSettings, match=says) as refused:
        check_secrets(settings_of(env, tmp_path), env)
    assert f"- {variable} " in str(refused.value)
    assert value not in str(refused.value)


def test_random_secrets_of_the_right_length_pass(tmp_path: Path) -> None:
    env = {**PRODUCTION, "CXLOOP_TYPEFORM_SECRET": "tf-" + GOOD[:20]}
    check_secrets(settings_of(env, tmp_path), env)


def test_redis_url_alone_is_already_outside_the_embedded_default(tmp_path: Path) -> None:
    env = {"CXLOOP_REDIS_URL": "redis://127.0.0.1:1/0", "CXLOOP_SECRET_KEY": "change-me"}
    with pytest.raises(UnsafeSettings, match="CXLOOP_SECRET_KEY"):
        check_secrets(settings_of(env, tmp_path), env)


def test_the_embedded_default_is_not_checked(tmp_path: Path) -> None:
    env = {"CXLOOP_SECRET_KEY": "change-me", "CXLOOP_API_KEYS": "change-me"}
    check_secrets(settings_of(env, tmp_path), env)


def test_the_web_entry_point_refuses_placeholder_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**PRODUCTION, "CXLOOP_SECRET_KEY": "change-me"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CXLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("cxloop.web.configure_logging", lambda *a, **k: None)
    with pytest.raises(UnsafeSettings, match="CXLOOP_SECRET_KEY holds a placeholder"):
        create_app_from_env()


@pytest.mark.parametrize("value", ["change-me", "CHANGEME", "your-api-key", "secret", "x" * 40])
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)
