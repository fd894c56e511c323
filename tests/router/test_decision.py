"""The one decision path: sentiment, policy, touchpoint and receivers for a generic response."""

from __future__ import annotations

import pytest

from services.router.config import RouterConfig, parse_config
from services.router.decision import detector_for, route_response

ROUTES = """
touchpoints:
  delivery: {description: "Delivery: couriers, parcels, late or missing deliveries"}
  billing: {description: "Billing: invoices, refunds, charges"}
default_touchpoint: general
receivers:
  - {name: champions, email: [champions@example.com]}
  - {name: delivery-team, email: [delivery@example.com]}
  - {name: billing-team, email: [billing@example.com]}
route:
  receiver: champions
  routes:
    - {matchers: ['touchpoint = "delivery"'], receiver: delivery-team}
    - {matchers: ['touchpoint = "billing"'], receiver: billing-team}
"""


@pytest.fixture(scope="module")
def config() -> RouterConfig:
    return parse_config(ROUTES, source="routes.yml")


def route(config: RouterConfig, **fields: object) -> dict[str, object]:
    response = {"source": "web", "response_id": "r1", "scores": {}, "comment": ""} | fields
    return route_response(config, detector_for(config), response).to_dict()


def test_a_detected_touchpoint_picks_its_owner(config: RouterConfig) -> None:
    outcome = route(config, scores={"nps": 3}, comment="The courier lost my parcel.")
    assert outcome["touchpoint"] == "delivery" and outcome["touchpoint_source"] == "detected"
    assert outcome["receivers"] == ["delivery-team"]
    assert outcome["routes"] == ["route.routes[0]"]
    assert "delivery-team via route.routes[0]" in outcome["explanation"]


def test_the_explicit_touchpoint_wins_over_the_comment(config: RouterConfig) -> None:
    outcome = route(config, scores={"nps": 3}, touchpoint="Billing", comment="Parcel was late.")
    assert outcome["touchpoint"] == "billing" and outcome["touchpoint_source"] == "explicit"
    assert outcome["receivers"] == ["billing-team"]
    assert outcome["touchpoints"][0]["name"] == "delivery"  # still shown as evidence


def test_an_unconfigured_touchpoint_sent_by_the_customer_maps_to_the_default(
    config: RouterConfig,
) -> None:
    outcome = route(config, scores={"nps": 3}, touchpoint="ceo_office", comment="Parcel was late.")
    assert (outcome["touchpoint"], outcome["touchpoint_source"]) == ("general", "default")
    assert outcome["receivers"] == ["champions"]
    assert "'ceo_office', is not configured" in str(outcome["explanation"])
    assert "ceo_office" not in str(outcome["labels"])


def test_nothing_detected_falls_back_to_the_default(config: RouterConfig) -> None:
    outcome = route(config, scores={"nps": 0})
    assert (outcome["touchpoint"], outcome["touchpoint_source"]) == ("general", "default")
    assert outcome["receivers"] == ["champions"]


def test_a_german_comment_is_scored_and_the_case_says_touchpoints_were_read_as_english(
    config: RouterConfig,
) -> None:
    outcome = route(config, scores={"nps": 3}, comment="Der Kurier war unfreundlich und langsam.")
    assert outcome["dissatisfied"] is True
    assert any("textblob-de" in e for e in outcome["evidence"])
    assert "touchpoint matching reads English only; the comment is 'de'" in outcome["explanation"]


def test_a_satisfied_response_goes_nowhere(config: RouterConfig) -> None:
    outcome = route(config, scores={"nps": 10}, comment="Parcel came early, great service!")
    assert outcome["dissatisfied"] is False
    assert outcome["receivers"] == [] and outcome["priority"] is None
    assert "no case" in outcome["explanation"]


def test_the_detector_is_built_once_per_config(config: RouterConfig) -> None:
    assert detector_for(config) is detector_for(config)
    assert detector_for(parse_config(ROUTES)) is not detector_for(config)


def test_the_readme_example_is_not_p1_on_its_own(config: RouterConfig) -> None:
    outcome = route(config, scores={"nps": 2}, comment="The courier left my parcel in the rain")
    assert (outcome["dissatisfied"], outcome["priority"]) == (True, "p2")
    assert outcome["reasons"][-1].startswith("P2: NPS 2 detractor (+3)")


def test_a_repeat_complainer_passed_in_raises_the_priority(config: RouterConfig) -> None:
    response = {"source": "web", "response_id": "r1", "scores": {"nps": 2},
                "comment": "The courier lost my parcel, dreadful."}  # fmt: skip
    once = route_response(config, detector_for(config), response)
    again = route_response(config, detector_for(config), response, recent_cases=1)
    assert (once.priority, again.priority) == ("p2", "p1")
    assert "repeat complainer: 1 other case(s) in 30 days (+2)" in again.reasons[-1]
    assert f"dissatisfied (p1): {'; '.join(again.reasons)}" in again.explanation
    capped = route_response(config, detector_for(config), response, recent_cases=100)
    assert "repeat complainer: 100+ other case(s) in 30 days (+2)" in capped.reasons[-1]
