"""routes.yml, desk.yml and sources.yml are checked together: each disagreement named."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.consistency import cross_check
from services.desk.config import load_desk_config, parse_desk_config
from services.ingest.sources.config import load_sources
from services.router.config import load_config, parse_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ROUTES = """
touchpoints:
  delivery: {description: "Parcels and couriers"}
  billing: {description: "Invoices and charges"}
default_touchpoint: delivery
receivers:
  - name: champions
    email: [cx@example.com]
  - name: couriers
    email: [couriers@example.com]
    slack: [{webhook_url_env: CXLOOP_SLACK_WEBHOOK_COURIERS}]
route:
  receiver: champions
  routes:
    - matchers: ['touchpoint = "delivery"']
      receiver: couriers
"""
DESK = {
    "sla": [{"acknowledge": "1h", "resolve": "1d"}],
    "escalation": [{"to": "owner", "after": "0m"}],
    "root_causes": {"default": ["other"]},
    "teams": {"cx": {"receivers": ["champions"]}, "logistics": {"receivers": ["couriers"]}},
}
ENV = {"CXLOOP_SLACK_WEBHOOK_COURIERS": "https://hooks.example/x"}


def problems(desk: dict[str, object], env: dict[str, str] = ENV) -> list[str]:
    routes = parse_config(ROUTES, source="routes.yml")
    return [str(p) for p in cross_check(routes, parse_desk_config(desk), "desk.yml", None, env)]


def test_files_that_agree_have_no_problems() -> None:
    assert problems(DESK) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"teams": {"cx": {"receivers": ["champions"]}}},
            "desk.yml: teams: receiver 'couriers' (routes.yml) belongs to no team",
        ),
        (
            {"teams": {**DESK["teams"], "ghosts": {"receivers": ["nobody"]}}},  # type: ignore[dict-item]
            "desk.yml: teams.ghosts.receivers: 'nobody' is not a receiver of routes.yml",
        ),
        (
            {
                "sla": [
                    {"touchpoint": "checkout", "acknowledge": "1h", "resolve": "1d"},
                    *DESK["sla"],
                ]
            },  # type: ignore[list-item]
            "desk.yml: sla[0].touchpoint: unknown touchpoint 'checkout'",
        ),
        (
            {"root_causes": {"default": ["other"], "returns": ["late"]}},
            "desk.yml: root_causes.returns: unknown touchpoint",
        ),
        (
            {
                "digests": {
                    "daily": {"at": "08:00"},
                    "teams": {
                        "logistics": {
                            "email": ["l@example.com"],
                            "slack": [{"webhook_url_env": "CXLOOP_HOOK_UNSET"}],
                        }
                    },
                }
            },
            "desk.yml: digests.teams.logistics.slack[0]: CXLOOP_HOOK_UNSET is not set",
        ),
    ],
)
def test_each_disagreement_is_named_with_file_key_and_reason(
    change: dict[str, object], expected: str
) -> None:
    found = problems(DESK | change)
    assert any(p.startswith(expected) for p in found), found


def test_an_unset_slack_webhook_variable_is_named() -> None:
    assert problems(DESK, env={}) == [
        "routes.yml: receivers[1].slack[0].webhook_url_env: CXLOOP_SLACK_WEBHOOK_COURIERS is not "
        "set: alerts to 'couriers' on Slack would fail"
    ]


@pytest.mark.parametrize("example", sorted(p.parent.name for p in EXAMPLES.glob("*/routes.yml")))
def test_every_shipped_example_is_consistent(example: str) -> None:
    routes = load_config(EXAMPLES / example / "routes.yml")
    desk = load_desk_config(EXAMPLES / example / "desk.yml")
    variables = {
        target.removeprefix("webhook:"): "set"
        for receiver in routes.receivers.values()
        for target in receiver.slack
    }
    sources = load_sources(EXAMPLES / "retailer" / "sources.yml", variables)
    assert cross_check(routes, desk, "desk.yml", sources, variables) == []
