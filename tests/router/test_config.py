"""Loading the routing file: a good file becomes objects, a bad one names file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.router.config import ConfigError, load_config, parse_config
from services.router.policy import Thresholds
from services.router.severity import DEFAULT_POINTS, PriorityRules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

GOOD = """
touchpoints:
  delivery: {description: "Delivery: couriers, parcels", keywords: [parcel, courier]}
  billing: {description: "Billing: invoices, refunds"}
default_touchpoint: general
policy: {nps_detractor_max: 5, polarity_below: -0.2}
receivers:
  - name: champs
    email: [champs@example.com]
  - name: delivery-team
    email: [lead@example.com, ops@example.com]
    slack:
      - webhook_url_env: CXLOOP_SLACK_WEBHOOK_DELIVERY
      - channel: "#delivery"
route:
  receiver: champs
  routes:
    - matchers: ['touchpoint = "delivery"']
      receiver: delivery-team
"""


def test_a_valid_file_becomes_frozen_objects() -> None:
    config = parse_config(GOOD, source="routes.yml")
    assert [t.name for t in config.touchpoints] == ["delivery", "billing"]
    assert config.touchpoints[0].keywords == ("parcel", "courier")
    assert config.default_touchpoint == "general"
    assert config.thresholds == Thresholds(nps_detractor_max=5, polarity_below=-0.2)
    assert config.receivers["delivery-team"].targets() == [
        ("email", "lead@example.com"),
        ("email", "ops@example.com"),
        ("slack", "webhook:CXLOOP_SLACK_WEBHOOK_DELIVERY"),
        ("slack", "channel:#delivery"),
    ]
    assert config.route.receiver == "champs"
    assert config.route.routes[0].path == "route.routes[0]"


@pytest.mark.parametrize("name", ["retailer", "airline"])
def test_the_shipped_examples_are_valid(name: str) -> None:
    config = load_config(EXAMPLES / name / "routes.yml")
    assert config.route.receiver in config.receivers


def test_the_retailer_example_covers_its_touchpoints() -> None:
    config = load_config(EXAMPLES / "retailer" / "routes.yml")
    assert {t.name for t in config.touchpoints} == {
        "website", "checkout", "delivery", "billing", "support", "product_quality", "store",
    }  # fmt: skip
    assert config.route.receiver == "cx-champions"


def _edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _edit("receiver: delivery-team", "receiver: delivery-tem"),
            "routes.yml: route.routes[0].receiver: undefined receiver 'delivery-tem'",
        ),
        (
            _edit("receiver: delivery-team", "receiver: delivery-team\n      matcher: x"),
            "routes.yml: route.routes[0].matcher: unknown key",
        ),
        (
            _edit("default_touchpoint: general", "default_touchpoint: general\nroutez: []"),
            "routes.yml: routez: unknown key",
        ),
        (
            _edit('touchpoint = "delivery"', "touchpoint == delivery"),
            "routes.yml: route.routes[0].matchers[0]: bad matcher 'touchpoint == delivery'",
        ),
        (
            _edit('touchpoint = "delivery"', 'region =~ "eu("'),
            "routes.yml: route.routes[0].matchers[0]: bad regex 'eu('",
        ),
        (
            _edit("  - name: delivery-team", "  - name: champs"),
            "routes.yml: receivers[1].name: duplicate receiver 'champs'",
        ),
        (
            _edit("lead@example.com", "lead-at-example.com"),
            "routes.yml: receivers[1].email[0]: Not a valid email address.",
        ),
        (
            _edit('touchpoint = "delivery"', 'touchpoint = "delivry"'),
            "routes.yml: route.routes[0].matchers[0]: undeclared touchpoint 'delivry'",
        ),
        (
            _edit('touchpoint = "delivery"', 'touchpoint =~ "ship.*"'),
            "routes.yml: route.routes[0].matchers[0]: regex 'ship.*' matches no touchpoint",
        ),
        (
            _edit('touchpoint = "delivery"', 'sentiment = "negativ"'),
            "routes.yml: route.routes[0].matchers[0]: undeclared sentiment value 'negativ'",
        ),
        (
            _edit("webhook_url_env: CXLOOP_SLACK_WEBHOOK_DELIVERY", "webhook_url_env: https://x"),
            "routes.yml: receivers[1].slack[0].webhook_url_env: must be an environment variable",
        ),
        (
            _edit('channel: "#delivery"', 'channel: "#delivery"\n        webhook_url_env: HOOK'),
            "routes.yml: receivers[1].slack[1]: give exactly one of webhook_url_env or channel",
        ),
        (
            _edit('billing: {description: "Billing: invoices, refunds"}', "billing: {}"),
            "routes.yml: touchpoints.billing.description: Missing data for required field.",
        ),
        (
            _edit("  receiver: champs\n  routes:", "  routes:"),
            "routes.yml: route.receiver: the root route needs a default receiver",
        ),
        (
            _edit("  receiver: champs\n", "  receiver: champs\n  matchers: ['a = \"b\"']\n"),
            "routes.yml: route.matchers: the root route matches everything",
        ),
        (
            _edit("nps_detractor_max: 5", "nps_detractor_max: 11"),
            "routes.yml: policy.nps_detractor_max: Must be greater than or equal to 0",
        ),
        (
            "touchpoints:\n  delivery: {description: x\nreceivers: []\n",
            "routes.yml: line 3, column 10: invalid YAML: ",  # the wording is the parser's
        ),
        ("- just\n- a list\n", "routes.yml: (top): must be a mapping"),
    ],
    ids=[
        "undefined-receiver", "unknown-route-key", "unknown-top-key", "bad-matcher", "bad-regex",
        "duplicate-receiver", "bad-email", "undeclared-touchpoint", "touchpoint-regex",
        "bad-label-value", "bad-webhook-env", "two-slack-targets", "touchpoint-description",
        "root-without-receiver", "root-with-matchers", "policy-range", "yaml-syntax", "not-mapping",
    ],
)  # fmt: skip
def test_problems_name_the_file_key_and_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="routes.yml")
    assert any(line.startswith(message) for line in str(raised.value).splitlines()), raised.value


def test_every_problem_is_reported_at_once() -> None:
    text = _edit("receiver: delivery-team", "receiver: nobody").replace(
        'touchpoint = "delivery"', 'touchpoint = "nowhere"'
    )
    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="routes.yml")
    assert [key for key, _ in raised.value.problems] == [
        "route.routes[0].receiver",
        "route.routes[0].matchers[0]",
    ]


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yml: \(file\): cannot read"):
        load_config(tmp_path / "nope.yml")


def test_the_default_touchpoint_may_be_matched_without_being_declared() -> None:
    config = parse_config(_edit('touchpoint = "delivery"', 'touchpoint = "general"'))
    assert config.route.routes[0].matchers[0].value == "general"


def test_without_a_priority_section_the_default_severity_rules_apply() -> None:
    assert parse_config(GOOD).priority == PriorityRules()


def test_a_priority_section_sets_cut_points_values_and_points() -> None:
    config = parse_config(
        GOOD
        + "priority:\n  p1_at: 8\n  p2_at: 4\n  strong_polarity: -0.7\n  repeat_window_days: 0\n"
        + "  value_attributes: {plan: [Enterprise, gold], tier: [vip]}\n"
        + "  points: {money: 5, churn: 0}\n"
    )
    rules = config.priority
    assert (rules.p1_at, rules.p2_at, rules.strong_polarity, rules.repeat_window_days) == (
        8, 4, -0.7, 0,
    )  # fmt: skip
    assert dict(rules.value_attributes) == {"plan": ("enterprise", "gold"), "tier": ("vip",)}
    assert rules.points == DEFAULT_POINTS | {"money": 5, "churn": 0}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{p1_at: 3, p2_at: 3}", "priority.p2_at: must be under p1_at (3)"),
        ("{p1_at: 1}", "priority.p2_at: must be under p1_at (1)"),
        ("{p1_at: six}", "priority.p1_at: Not a valid integer."),
        ("{strong_polarity: 0.5}", "priority.strong_polarity: Must be greater than or equal to -1"),
        ("{repeat_window_days: -1}", "priority.repeat_window_days: Must be greater than or equal"),
        ("{points: {monney: 2}}", "priority.points.monney: unknown factor (known: score_extreme,"),
        ("{points: {money: -2}}", "priority.points.money: Must be greater than or equal to 0"),
        ("{value_attributes: {plan: enterprise}}",
         "priority.value_attributes.plan: Not a valid list."),
        ("{value_attributes: {plan: []}}",
         "priority.value_attributes.plan: list at least one value"),
        ("{value_attributes: {'my plan': [gold]}}",
         "priority.value_attributes.my plan: not an attribute"),
        ("{p1: 6}", "priority.p1: unknown key"),
    ],
    ids=[
        "cut-points-equal", "p1-under-default-p2", "not-an-integer", "positive-strong-polarity",
        "negative-window", "unknown-factor", "negative-points", "value-not-a-list",
        "no-values", "bad-attribute-name", "unknown-key",
    ],
)  # fmt: skip
def test_a_bad_priority_section_names_the_key_and_reason(section: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(GOOD + f"priority: {section}\n", source="routes.yml")
    assert any(
        line.startswith(f"routes.yml: {message}") for line in str(raised.value).splitlines()
    ), raised.value


def test_a_receiver_may_refuse_personal_data_and_the_flag_is_checked() -> None:
    champs = "    email: [champs@example.com]\n"
    private = parse_config(_edit(champs, f"{champs}    personal_data: false\n"))
    assert [r.personal_data for r in private.receivers.values()] == [False, True]
    with pytest.raises(ConfigError, match=r"receivers.*personal_data.*Not a valid boolean"):
        parse_config(_edit(champs, f"{champs}    personal_data: maybe\n"))
