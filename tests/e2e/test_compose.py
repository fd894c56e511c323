"""The compose file and image run the production shape with the very commands the tests run."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import Settings
from shared.settings.environment import PREFIX
from tests.e2e.harness import PROCESS_ARGS, container_command

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LONG_RUNNING = ("ingest", "router", "notifier", "beat")
SETTINGS_VARS = {PREFIX + name.upper() for name in Settings.model_fields}
SECRET_FIELDS = {  # the webhook URLs are not settings variables but named by the routing file
    name
    for name, f in Settings.model_fields.items()
    if "Secret" in str(f.annotation) and name != "slack_webhooks"
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def env_example(include_commented: bool = False) -> dict[str, str]:
    """Variables of .env.example (optionally also the commented-out `# NAME=value` lines)."""
    pattern = r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$"
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(pattern, line.strip())
        if match and (include_commented or not match.group(1)):
            found[match.group(2)] = match.group(3)
    return found


def shipped_webhook_vars() -> set[str]:
    """Env var names the shipped routing file reads Slack webhook URLs from."""
    text = Settings().routes_file.read_text()
    return set(re.findall(r"webhook_url_env:\s*['\"]?([A-Z0-9_]+)", text))


def test_the_production_shape_has_every_process_and_its_stores(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "redis", "migrate", *LONG_RUNNING}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_containers_run_exactly_the_commands_the_tests_run(services: dict[str, Any]) -> None:
    for name in PROCESS_ARGS:
        assert services[name]["command"] == container_command(name), name


def test_every_cxloop_container_is_built_from_the_one_image(services: dict[str, Any]) -> None:
    for name in PROCESS_ARGS:
        assert services[name]["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
        assert services[name]["image"] == "cxloop:latest"
    assert (ROOT / services["ingest"]["build"]["dockerfile"]).is_file()


def test_nothing_starts_before_the_schema_is_migrated(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in LONG_RUNNING:
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_long_running_services_restart_and_are_health_checked(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", *LONG_RUNNING):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("postgres", "redis", "ingest", "router", "notifier"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    assert services["ingest"]["healthcheck"]["test"][-1] == "web"
    assert services["router"]["healthcheck"]["test"][-2:] == ["worker", "router"]
    assert services["notifier"]["healthcheck"]["test"][-2:] == ["worker", "notifier"]


def test_health_probe_in_compose_is_the_one_the_image_installs(services: dict[str, Any]) -> None:
    dockerfile = DOCKERFILE.read_text()
    probe = services["ingest"]["healthcheck"]["test"][2]
    assert f"COPY deploy/healthcheck.py {probe}" in dockerfile
    assert f'"{probe}", "web"' in dockerfile


def test_redis_keeps_queued_tasks_across_restarts(services: dict[str, Any]) -> None:
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def test_configuration_comes_from_env_files_not_the_compose_file(
    services: dict[str, Any],
) -> None:
    for name, service in services.items():
        if name == "redis":
            continue
        assert service["env_file"] == [{"path": ".env", "required": True}], name
        assert "environment" not in service, name
    assert "change-me" not in COMPOSE.read_text()
    assert ".env.example" not in str(services), "the template's placeholders must never load"


def test_env_example_names_only_real_settings_and_routing_secrets() -> None:
    names = {n for n in env_example(include_commented=True) if n.startswith(PREFIX)}
    unknown = names - SETTINGS_VARS - shipped_webhook_vars()
    assert not unknown, f"not cxloop settings: {sorted(unknown)}"


def test_env_example_builds_valid_production_settings(services: dict[str, Any]) -> None:
    env = env_example()
    settings = Settings.from_env(env)
    user, password, db = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]
    assert settings.database_url == f"postgresql://{user}:{password}@postgres:5432/{db}"
    assert settings.redis_url.startswith("redis://redis:6379/")
    assert settings.api_keys, "the ingest service refuses to start without API keys"
    port = settings.bind.rpartition(":")[2]
    assert settings.bind.startswith("0.0.0.0:")
    assert services["ingest"]["ports"] == [f"{port}:{port}"]


def test_secrets_in_env_example_are_placeholders_or_empty() -> None:
    env = env_example(include_commented=True)
    assert {"api_keys", "smtp_password", "slack_token", "secret_key"} <= SECRET_FIELDS
    for name in SECRET_FIELDS:
        for entry in env.get(PREFIX + name.upper(), "").split(","):
            assert entry.rpartition(":")[2] in ("", "change-me"), name
    assert env["POSTGRES_PASSWORD"] == "change-me"


def test_the_template_as_is_refuses_to_start(tmp_path: Path) -> None:
    """Copying .env.example without replacing its placeholders stops the start, naming them."""
    from services.ingest.startup import check_secrets
    from shared.safety import UnsafeSettings

    env = env_example() | {"CXLOOP_DATA_DIR": str(tmp_path), "CXLOOP_SOURCES_FILE": ""}
    settings = Settings.from_env(env).with_(sources_file=Settings().sources_file)
    with pytest.raises(UnsafeSettings) as refused:
        check_secrets(settings, env)
    assert "CXLOOP_SECRET_KEY holds a placeholder" in str(refused.value)
    assert "CXLOOP_API_KEYS holds a placeholder" in str(refused.value)


def test_image_is_slim_non_root_and_without_test_dependencies() -> None:
    dockerfile = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim@sha256:", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1].partition(":")[0] not in ("root", "0")
    assert not re.search(r"pip (install|wheel)[^\n]*\[test\]", dockerfile)
    assert "HEALTHCHECK" in dockerfile
    assert 'CMD ["python", "-m", "cxloop", "serve"]' in dockerfile


def test_image_ships_every_example_file_the_settings_default_to() -> None:
    """The defaults point into the source tree, which a non-editable install does not carry."""
    dockerfile = DOCKERFILE.read_text()
    assert "COPY examples/retailer/*.yml /etc/cxloop/" in dockerfile
    for name in Settings.model_fields:
        default = getattr(Settings(), name)
        if isinstance(default, Path) and default.is_absolute():
            assert f"{PREFIX}{name.upper()}=/etc/cxloop/{default.name} " in dockerfile, name
            assert default.parent == ROOT / "examples" / "retailer", name


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_docker_compose_accepts_the_file() -> None:
    if not _docker_engine_answers():
        pytest.skip("no Docker engine answers `docker info` on this machine")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
