"""The Helm chart renders, with Helm's own engine, manifests that Kubernetes' schemas accept."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions

from shared import task_names
from shared.settings import Settings
from tests.e2e.harness import container_command

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "cxloop"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
WORKERS = {"router": task_names.ROUTER_QUEUE, "notifier": task_names.NOTIFIER_QUEUE}
# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest bundled.
KUBE_VERSIONS = ("1.25.0", max(all_versions(), key=lambda v: tuple(map(int, v.split(".")))))

# What the operator brings: an existing Secret, one more variable from another Secret, their own
# routing files, and KEDA reading the broker's length with a password from a third Secret.
KEDA_VALUES: dict[str, Any] = {
    "image": {"repository": "registry.example.com/cxloop", "digest": "sha256:" + "ab" * 32},
    "secrets": {
        "existingSecret": "cxloop-prod",
        "env": [{"name": "CXLOOP_DATABASE_URL", "secretName": "pg-app", "key": "uri"}],
    },
    "configFiles": {"existingConfigMap": "cxloop-routing"},
    "keda": {
        "enabled": True,
        "redis": {
            "address": "redis-master.data:6379",
            "passwordSecret": {"name": "redis", "key": "password"},
        },
    },
}

# KEDA's resources are custom: Kubernetes' schemas do not know them. The fields the chart uses,
# as KEDA's documentation describes them (keda.sh/v1alpha1), with nothing else allowed.
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_META = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "labels": _STRING_MAP},
    "additionalProperties": False,
}
KEDA_SCHEMAS: dict[str, dict[str, Any]] = {
    "ScaledObject": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"},
            "kind": {"const": "ScaledObject"},
            "metadata": _META,
            "spec": {
                "type": "object",
                "required": ["scaleTargetRef", "triggers"],
                "additionalProperties": False,
                "properties": {
                    "scaleTargetRef": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "name": {"type": "string"},
                        },
                    },
                    "pollingInterval": {"type": "integer", "minimum": 1},
                    "cooldownPeriod": {"type": "integer", "minimum": 0},
                    "minReplicaCount": {"type": "integer", "minimum": 0},
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "triggers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["type", "metadata"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"type": "string"},
                                "metadata": _STRING_MAP,
                                "authenticationRef": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string"}},
                                    "additionalProperties": False,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "TriggerAuthentication": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"},
            "kind": {"const": "TriggerAuthentication"},
            "metadata": _META,
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "secretTargetRef": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["parameter", "name", "key"],
                            "additionalProperties": False,
                            "properties": {
                                "parameter": {"type": "string"},
                                "name": {"type": "string"},
                                "key": {"type": "string"},
                            },
                        },
                    }
                },
            },
        },
    },
}


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """`helm template` of the chart: every object it renders, hooks included (not NOTES.txt)."""
    with helm.Chart.load(CHART) as chart:
        rendered = chart.render(values, name="cxloop", namespace="cx")
    objects = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def validate(obj: dict[str, Any]) -> None:
    """Check an object against the Kubernetes schemas (strict: unknown fields are errors)."""
    if obj["apiVersion"].startswith("keda.sh/"):
        jsonschema.validate(obj, KEDA_SCHEMAS[obj["kind"]])
        return
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Objects of one kind by their component label."""
    return {
        o["metadata"]["labels"]["app.kubernetes.io/component"]: o
        for o in objects
        if o["kind"] == kind
    }


def container(obj: dict[str, Any]) -> dict[str, Any]:
    (only,) = obj["spec"]["template"]["spec"]["containers"]
    return only


@pytest.fixture(scope="module")
def default() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def with_keda() -> list[dict[str, Any]]:
    return render(KEDA_VALUES)


def test_default_values_render_the_four_processes_the_migration_and_budgets(
    default: list[dict[str, Any]],
) -> None:
    kinds = Counter(o["kind"] for o in default)
    assert kinds == {"Deployment": 4, "Service": 1, "Job": 1, "PodDisruptionBudget": 3}
    assert set(by_kind(default, "Deployment")) == {"ingest", "router", "notifier", "beat"}
    assert set(by_kind(default, "PodDisruptionBudget")) == {"ingest", "router", "notifier"}


@pytest.mark.parametrize("values", ["default", "with_keda"])
def test_every_manifest_passes_the_kubernetes_schemas(
    values: str, request: pytest.FixtureRequest
) -> None:
    objects = request.getfixturevalue(values)
    for obj in objects:
        validate(obj)


def test_the_schema_check_rejects_what_kubernetes_would(
    default: list[dict[str, Any]], with_keda: list[dict[str, Any]]
) -> None:
    """A check that cannot fail proves nothing: a typo and a wrong type are both caught."""
    deployment = by_kind(default, "Deployment")["ingest"]
    typo = yaml.safe_load(yaml.safe_dump(deployment))
    typo["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    wrong_type = yaml.safe_load(yaml.safe_dump(deployment))
    wrong_type["spec"]["replicas"] = "two"
    for broken in (typo, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            validate(broken)
    scaled = yaml.safe_load(yaml.safe_dump(by_kind(with_keda, "ScaledObject")["router"]))
    scaled["spec"]["trigers"] = scaled["spec"].pop("triggers")
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)


def test_helm_lint_finds_no_warning() -> None:
    report = helm.lint(CHART, strict=True)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_containers_run_exactly_the_commands_the_tests_run(default: list[dict[str, Any]]) -> None:
    workloads = by_kind(default, "Deployment") | by_kind(default, "Job")
    for name, obj in workloads.items():
        assert container(obj)["command"] == container_command(name), name


def test_the_chart_runs_the_image_the_dockerfile_builds(default: list[dict[str, Any]]) -> None:
    dockerfile = DOCKERFILE.read_text()
    user = re.findall(r"^USER (\d+):(\d+)$", dockerfile, re.M)[-1]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert chart["appVersion"] == version
    for obj in by_kind(default, "Deployment").values():
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
            int(user[0]),
            int(user[1]),
        )
        assert pod["containers"][0]["image"] == f"cxloop:{version}"
        assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
        mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert {"/tmp", "/var/lib/cxloop"} <= mounts  # gunicorn's heartbeat, beat's schedule
    for obj in by_kind(render(KEDA_VALUES), "Deployment").values():
        assert container(obj)["image"] == "registry.example.com/cxloop@sha256:" + "ab" * 32


def test_web_probes_use_healthz_and_readyz_on_the_bound_port(
    default: list[dict[str, Any]],
) -> None:
    ingest = container(by_kind(default, "Deployment")["ingest"])
    env = {e["name"]: e.get("value") for e in ingest["env"]}
    port = int(env["CXLOOP_BIND"].rpartition(":")[2])
    assert ingest["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert ingest["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert ingest["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert ingest["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    service = by_kind(default, "Service")["ingest"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_worker_probes_are_the_worker_ping_compose_uses(default: list[dict[str, Any]]) -> None:
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in WORKERS:
        worker = container(by_kind(default, "Deployment")[name])
        ping = compose[name]["healthcheck"]["test"][1:]
        assert ping[-2:] == ["worker", name]
        assert worker["livenessProbe"]["exec"]["command"] == ping, name
        assert worker["startupProbe"]["exec"]["command"] == ping, name
        assert f"COPY deploy/healthcheck.py {ping[1]}" in DOCKERFILE.read_text()


def test_every_container_has_requests_and_a_memory_limit(default: list[dict[str, Any]]) -> None:
    for obj in default:
        if obj["kind"] in ("Deployment", "Job"):
            resources = container(obj)["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), obj["metadata"]["name"]
            assert "memory" in resources["limits"], obj["metadata"]["name"]


def test_workers_get_longer_to_stop_than_a_task_may_run(default: list[dict[str, Any]]) -> None:
    """SIGTERM starts a warm shutdown; a SIGKILL before running tasks end would only delay them."""
    limit = Settings().task_time_limit_s
    for name in WORKERS:
        pod = by_kind(default, "Deployment")[name]["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > limit, name


def test_exactly_one_beat_replaced_never_rolled(with_keda: list[dict[str, Any]]) -> None:
    beat = by_kind(with_keda, "Deployment")["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in by_kind(with_keda, "ScaledObject")
    assert "beat" not in by_kind(with_keda, "PodDisruptionBudget")


def test_the_migration_is_a_hook_before_install_and_upgrade(default: list[dict[str, Any]]) -> None:
    job = by_kind(default, "Job")["migrate"]
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert set(hooks) == {"pre-install", "pre-upgrade"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation"


def test_secrets_come_only_from_existing_secrets(with_keda: list[dict[str, Any]]) -> None:
    assert not [o for o in with_keda if o["kind"] == "Secret"]
    for obj in with_keda:
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        spec = container(obj)
        assert spec["envFrom"] == [{"secretRef": {"name": "cxloop-prod"}}]
        from_secrets = [e for e in spec["env"] if "valueFrom" in e]
        assert from_secrets == [
            {
                "name": "CXLOOP_DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": "pg-app", "key": "uri"}},
            }
        ]
        volumes = obj["spec"]["template"]["spec"]["volumes"]
        assert {"name": "config", "configMap": {"name": "cxloop-routing"}} in volumes


@pytest.mark.parametrize(
    "name", ["CXLOOP_SECRET_KEY", "CXLOOP_API_KEYS", "CXLOOP_DATABASE_URL", "REDIS_URL",
             "CXLOOP_SLACK_WEBHOOK_DELIVERY"],
)  # fmt: skip
def test_a_secret_in_plain_values_is_refused_by_name(name: str) -> None:
    with pytest.raises(helm.HelmError, match=re.escape(f"config.{name} is a secret")):
        render({"config": {name: "s3cr3t"}})


def test_keda_scales_each_worker_on_its_own_queue(with_keda: list[dict[str, Any]]) -> None:
    deployments = by_kind(with_keda, "Deployment")
    scaled = by_kind(with_keda, "ScaledObject")
    assert set(scaled) == set(WORKERS)
    (auth,) = [o for o in with_keda if o["kind"] == "TriggerAuthentication"]
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "redis", "key": "password"}
    ]
    for name, queue in WORKERS.items():
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"]["name"] == deployments[name]["metadata"]["name"]
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["listName"] == queue
        assert trigger["metadata"]["address"] == "redis-master.data:6379"
        assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
        assert "replicas" not in deployments[name]["spec"], "KEDA owns the replica count"
    assert deployments["ingest"]["spec"]["replicas"] == 2


def test_keda_needs_the_broker_address() -> None:
    with pytest.raises(helm.HelmError, match=r"keda\.redis\.address"):
        render({"keda": {"enabled": True}})


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"ingest": {"replica": 3}}, "additional properties 'replica' not allowed"),
        ({"router": {"concurrency": "4"}}, "/router/concurrency"),
        ({"image": {"digest": "latest"}}, "/image/digest"),
        ({"keda": {"enabled": True, "redis": {"address": "redis://r:6379"}}}, "/keda/redis"),
    ],
)
def test_values_are_checked_against_the_chart_schema(values: dict[str, Any], named: str) -> None:
    """A typo or a wrong type in values stops the render naming it, not a silent default."""
    with pytest.raises(helm.HelmError, match=re.escape(named)):
        render(values)
