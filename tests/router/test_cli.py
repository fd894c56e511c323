"""`cxloop routes test` and `cxloop routes check`, run as a user would: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RETAILER = ROOT / "examples" / "retailer" / "routes.yml"


def cxloop(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    return subprocess.run(
        [sys.executable, "-m", "cxloop", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=environ | (env or {}),
        timeout=60, check=False,
    )  # fmt: skip


def line(**fields: object) -> str:
    base = {"source": "web", "response_id": "r1", "submitted_at": "2026-11-01T10:00:00Z"}
    return json.dumps(base | fields)


def test_routes_test_prints_one_json_line_per_response() -> None:
    stdin = "\n".join(
        [
            line(response_id="late", scores={"nps": 2}, attributes={"region": "eu"},
                 comment="My parcel never arrived, the courier was rude and I want my money back."),
            "",
            line(response_id="happy", scores={"nps": 10}, comment="Lovely staff, quick checkout."),
            line(response_id="bill", scores={"csat": 2, "ces": 6}, touchpoint="billing"),
        ]
    )  # fmt: skip
    done = cxloop("routes", "test", stdin=stdin)
    assert done.returncode == 0, done.stderr
    late, happy, bill = (json.loads(x) for x in done.stdout.splitlines())
    assert set(late) >= {
        "response_id", "dissatisfied", "reasons", "polarity", "touchpoints", "receivers",
        "priority", "touchpoint", "evidence",
    }  # fmt: skip
    assert late["response_id"] == "late" and late["dissatisfied"] is True
    assert late["priority"] == "p1" and late["touchpoint"] == "delivery"
    assert late["receivers"] == ["cx-champions", "delivery-eu"]
    assert late["owner"] == "delivery-eu"
    assert late["reasons"][0] == "NPS 2 is a detractor (0-6)"
    assert late["reasons"][-1].startswith("P1: NPS 2 detractor (+3), comment strongly negative")
    assert "money lost or charged wrongly: 'money back' (+2)" in late["reasons"][-1]
    assert late["polarity"] < 0
    assert late["touchpoints"][0]["name"] == "delivery"
    assert "parcel" in late["touchpoints"][0]["evidence"]
    assert happy["dissatisfied"] is False and happy["receivers"] == [] and happy["priority"] is None
    assert bill["touchpoint"] == "billing"
    assert bill["priority"] == "p2"  # CSAT 2 (+2), CES 6 agrees (+1): no copy to the champions
    assert bill["receivers"] == ["support-team", "billing-team"]
    assert bill["owner"] == "billing-team"


def test_invalid_lines_are_reported_and_fail_the_run_at_the_end(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(
        "{not json\n"
        + json.dumps({"source": "web", "response_id": "x"}) + "\n"
        + line(scores={"nps": 11}) + "\n"
        + line(response_id="ok", scores={"nps": 0}) + "\n"
    )  # fmt: skip
    done = cxloop("routes", "test", "--config", str(RETAILER), str(data))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    bad_json, missing, out_of_range, ok = (json.loads(x) for x in done.stdout.splitlines())
    assert bad_json["line"] == 1 and bad_json["error"].startswith("invalid JSON")
    assert missing["line"] == 2 and "submitted_at" in missing["fields"]
    assert out_of_range == {
        "line": 3,
        "error": "invalid response",
        "fields": {
            "scores": {"nps": ["Must be greater than or equal to 0 and less than or equal to 10."]}
        },
    }
    assert ok["response_id"] == "ok" and ok["priority"] == "p2"  # NPS 0 alone: 3 points


def test_routes_test_uses_the_configured_routing_file(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yml"
    routes.write_text(
        "touchpoints: {delivery: {description: parcels}}\n"
        "receivers: [{name: only, email: [only@example.com]}]\n"
        "route: {receiver: only}\n"
    )
    done = cxloop(
        "routes", "test", stdin=line(scores={"nps": 1}), env={"CXLOOP_ROUTES_FILE": str(routes)}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["receivers"] == ["only"]


HOOK = "https://hooks.slack.com/services/T0/B0/x"
SLACK_VARIABLES = {"CXLOOP_SLACK_WEBHOOK_WEB": HOOK, "CXLOOP_SLACK_WEBHOOK_DELIVERY": HOOK}


def test_routes_check_accepts_the_shipped_example() -> None:
    done = cxloop("routes", "check", env=SLACK_VARIABLES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{RETAILER}: OK (7 touchpoints")
    assert "desk.yml: OK (8 teams)" in done.stdout


def test_routes_check_names_an_unset_slack_webhook_variable() -> None:
    done = cxloop("routes", "check", env={"CXLOOP_SLACK_WEBHOOK_WEB": HOOK})
    assert done.returncode == 1
    assert (
        f"{RETAILER}: receivers[4].slack[0].webhook_url_env: CXLOOP_SLACK_WEBHOOK_DELIVERY is not"
        " set" in done.stderr
    )


def test_routes_check_names_a_webhook_variable_that_holds_no_https_url() -> None:
    done = cxloop("routes", "check", env={**SLACK_VARIABLES, "CXLOOP_SLACK_WEBHOOK_WEB": "x"})
    assert done.returncode == 1
    assert "CXLOOP_SLACK_WEBHOOK_WEB must hold an https URL" in done.stderr


def test_routes_check_names_file_key_and_reason(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yml"
    routes.write_text(
        RETAILER.read_text().replace("receiver: payments-team", "receiver: payment-team")
    )
    for command in ("check", "test"):
        done = cxloop("routes", command, "--config", str(routes))
        assert done.returncode == 1
        assert (
            f"{routes}: route.routes[2].receiver: undefined receiver 'payment-team'" in done.stderr
        )
        assert "Traceback" not in done.stderr


def test_routes_test_names_the_incident_a_grouped_case_would_join() -> None:
    airline = ROOT / "examples" / "airline" / "routes.yml"
    stdin = line(scores={"nps": 1}, comment="Flight cancelled, rebooking took two days",
                 attributes={"flight": "UA12"})  # fmt: skip
    done = cxloop("routes", "test", "--config", str(airline), stdin=stdin)
    assert done.returncode == 0, done.stderr
    (incident,) = json.loads(done.stdout)["incidents"]
    assert incident["receiver"] == "operations-control"
    assert incident["group"] == {"touchpoint": "flight_operations", "flight": "UA12"}
    assert (incident["group_wait_s"], incident["group_interval_s"]) == (30.0, 300.0)
    plain = cxloop("routes", "test", stdin=line(scores={"nps": 2}, comment="Parcel late"))
    assert "incidents" not in json.loads(plain.stdout)  # no group_by: one alert per case
