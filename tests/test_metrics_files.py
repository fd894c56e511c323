"""The shipped Prometheus rules and Grafana dashboard use only metrics cxloop exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.metrics import metric_names

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "deploy" / "prometheus" / "cxloop-rules.yml"
RULE_TESTS = RULES.with_name("cxloop-rules.test.yml")
DASHBOARD = ROOT / "deploy" / "grafana" / "cxloop.json"
NAME = re.compile(r"\bcxloop_[a-z0-9_]+")
ALERTS = {
    "CxloopQueueGrowing",
    "CxloopDeliveriesFailing",
    "CxloopDeliveriesRetrying",
    "CxloopNoResponses",
    "CxloopBrokerDown",
    "CxloopTasksFailing",
    "CxloopSlaBreaches",
}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def test_every_alert_names_only_exported_metrics() -> None:
    assert {rule["alert"] for rule in rules()} == ALERTS
    for rule in rules():
        used = set(NAME.findall(rule["expr"]))
        assert used, rule["alert"]
        assert used <= metric_names(), f"{rule['alert']} uses {used - metric_names()}"
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_every_dashboard_panel_queries_exported_metrics_and_every_metric_is_shown() -> None:
    shown: set[str] = set()
    for panel in panels():
        exprs = [target["expr"] for target in panel["targets"]]
        assert exprs, panel["title"]
        used = {name for expr in exprs for name in NAME.findall(expr)}
        assert used and used <= metric_names(), f"{panel['title']}: {used - metric_names()}"
        assert panel["datasource"]["uid"] == "${datasource}"  # the importer picks Prometheus
        shown |= used
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in metric_names()}
    assert families == {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in shown}


def test_dashboard_panels_have_unique_ids_and_do_not_overlap() -> None:
    every = json.loads(DASHBOARD.read_text())["panels"]
    assert len({p["id"] for p in every}) == len(every)
    cells: set[tuple[int, int]] = set()
    for panel in every:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, panel["title"]
        cells |= mine


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    for command in (["check", "rules", RULES.name], ["test", "rules", RULE_TESTS.name]):
        done = subprocess.run(
            ["promtool", *command], cwd=RULES.parent, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
