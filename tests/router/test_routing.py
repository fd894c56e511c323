"""The routing tree: Alertmanager's matching algorithm on labels, driven by inline YAML."""

from __future__ import annotations

import pytest

from services.router.config import parse_config
from services.router.policy import Decision, Thresholds
from services.router.routing import Route, labels_for, match, matching_routes, owner_of
from services.router.scoring import Sentiment
from shared.enums import Priority
from shared.matchers import Op, parse_matcher

TREE = """
touchpoints:
  delivery: {description: "Delivery: couriers, parcels"}
  billing: {description: "Billing: invoices, refunds"}
  store: {description: "Stores: staff, queues"}
receivers:
  - {name: champions, email: [champions@example.com]}
  - {name: delivery, email: [delivery@example.com]}
  - {name: delivery-eu, email: [eu@example.com]}
  - {name: delivery-us, email: [us@example.com]}
  - {name: billing, email: [billing@example.com]}
  - {name: enterprise, email: [enterprise@example.com]}
  - {name: stores, email: [stores@example.com]}
route:
  receiver: champions
  routes:
    - matchers: ['priority = "p1"']
      continue: true
    - matchers: ['plan = "enterprise"']
      receiver: enterprise
      continue: true
    - matchers: ['touchpoint = "delivery"']
      receiver: delivery
      routes:
        - matchers: ['region =~ "eu|uk"']
          receiver: delivery-eu
        - matchers: ['region = "us"', 'nps_category != "promoter"']
          receiver: delivery-us
    - matchers: ['touchpoint =~ "bill.*"']
      receiver: billing
    - matchers: ['touchpoint = "store"', 'region !~ "eu|uk"']
      receiver: stores
"""


@pytest.fixture(scope="module")
def tree() -> Route:
    return parse_config(TREE, source="tree.yml").route


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({}, ["champions"]),
        ({"touchpoint": "general"}, ["champions"]),
        ({"touchpoint": "delivery"}, ["delivery"]),
        ({"touchpoint": "delivery", "region": "eu"}, ["delivery-eu"]),
        ({"touchpoint": "delivery", "region": "uk"}, ["delivery-eu"]),
        ({"touchpoint": "delivery", "region": "europe"}, ["delivery"]),
        ({"touchpoint": "delivery", "region": "us"}, ["delivery-us"]),
        ({"touchpoint": "delivery", "region": "us", "nps_category": "promoter"}, ["delivery"]),
        ({"touchpoint": "billing"}, ["billing"]),
        ({"touchpoint": "billing_disputes"}, ["billing"]),
        ({"touchpoint": "rebilling"}, ["champions"]),
        ({"touchpoint": "store", "region": "us"}, ["stores"]),
        ({"touchpoint": "store", "region": "eu"}, ["champions"]),
        ({"touchpoint": "store"}, ["stores"]),
        (
            {"touchpoint": "delivery", "priority": "p1", "region": "eu"},
            ["champions", "delivery-eu"],
        ),
        ({"touchpoint": "billing", "plan": "enterprise"}, ["enterprise", "billing"]),
        ({"touchpoint": "x", "plan": "enterprise", "priority": "p1"}, ["champions", "enterprise"]),
    ],
    ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_receivers_follow_alertmanager_matching(
    tree: Route, labels: dict[str, str], receivers: list[str]
) -> None:
    assert match(tree, labels) == receivers


def test_children_inherit_the_parent_receiver() -> None:
    config = parse_config(
        TREE.replace(
            "      receiver: delivery\n", "      receiver: delivery\n      continue: false\n"
        ).replace("          receiver: delivery-us\n", ""),
        source="t.yml",
    )
    assert match(config.route, {"touchpoint": "delivery", "region": "us"}) == ["delivery"]
    assert config.route.routes[2].routes[1].receiver == "delivery"


def test_first_matching_child_wins_without_continue() -> None:
    config = parse_config(TREE.replace('region =~ "eu|uk"', 'region =~ ".*"'), source="t.yml")
    assert match(config.route, {"touchpoint": "delivery", "region": "us"}) == ["delivery-eu"]


def test_a_receiver_reached_twice_is_listed_once() -> None:
    config = parse_config(
        TREE.replace("    - matchers: ['plan = \"enterprise\"']\n      receiver: enterprise",
                     "    - matchers: ['plan = \"enterprise\"']\n      receiver: champions"),
        source="t.yml",
    )  # fmt: skip
    assert match(config.route, {"plan": "enterprise", "priority": "p1"}) == ["champions"]


@pytest.mark.parametrize(
    ("labels", "owner"),
    [
        ({"touchpoint": "delivery", "priority": "p1", "region": "eu"}, "delivery-eu"),
        ({"touchpoint": "billing", "plan": "enterprise"}, "billing"),
        ({"priority": "p1", "plan": "enterprise"}, "enterprise"),  # every match continued
        ({}, "champions"),
    ],
)
def test_the_owner_is_the_first_match_that_did_not_continue(
    tree: Route, labels: dict[str, str], owner: str
) -> None:
    assert owner_of(matching_routes(tree, labels)) == owner


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ('touchpoint = "delivery"', "touchpoint", Op.EQ, "delivery"),
        ("touchpoint=delivery", "touchpoint", Op.EQ, "delivery"),
        ('region != "eu"', "region", Op.NE, "eu"),
        ('region =~ "eu|uk"', "region", Op.RE, "eu|uk"),
        ('plan !~ "free.*"', "plan", Op.NRE, "free.*"),
        ('note = "say \\"hi\\""', "note", Op.EQ, 'say "hi"'),
        ('region = ""', "region", Op.EQ, ""),
    ],
)
def test_matchers_parse(text: str, name: str, op: Op, value: str) -> None:
    matcher = parse_matcher(text)
    assert (matcher.name, matcher.op, matcher.value) == (name, op, value)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('region =~ "eu"', {"region": "eu-west"}, False),  # anchored, like Alertmanager
        ('region =~ "eu.*"', {"region": "eu-west"}, True),
        ('region !~ "eu.*"', {"region": "us"}, True),
        ('region = ""', {}, True),  # a missing label is the empty string
        ('region != ""', {}, False),
        ('region != "eu"', {}, True),
    ],
)
def test_matcher_semantics(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["touchpoint", "touchpoint == delivery", '9x = "a"', 'a = "b'])
def test_malformed_matchers_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="bad matcher"):
        parse_matcher(text)


def test_labels_carry_bands_sentiment_priority_and_attributes() -> None:
    response = {
        "source": "typeform",
        "scores": {"nps": 4, "csat": 3, "ces": 6},
        "comment": "late again",
        "attributes": {"region": "eu", "plan": "pro", "touchpoint": "spoofed"},
    }
    decision = Decision(True, ("x",), Priority.P1)
    labels = labels_for(
        response, decision, ["delivery", "store"], Sentiment(-0.4, 0.5), thresholds=Thresholds()
    )
    assert labels == {
        "touchpoint": "delivery",
        "touchpoints": "delivery,store",
        "nps_category": "detractor",
        "csat_band": "neutral",
        "ces_band": "hard",
        "sentiment": "negative",
        "priority": "p1",
        "dissatisfied": "true",
        "language": "en",
        "source": "typeform",
        "region": "eu",
        "plan": "pro",
    }


def test_missing_scores_and_comment_leave_their_labels_out() -> None:
    labels = labels_for(
        {"source": "s", "scores": {"csat": 5}, "comment": ""},
        Decision(False, ()),
        ["general"],
        Sentiment(0.0, 0.0, language="und", analysed=False),
    )
    assert labels == {
        "touchpoint": "general",
        "touchpoints": "general",
        "csat_band": "satisfied",
        "dissatisfied": "false",
        "source": "s",
    }


def _scan(route: Route, labels: dict[str, str]) -> list[Route]:
    """Alertmanager's Route.Match trying every child, the reference for the indexed walk."""
    if not route.matches(labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        matches = _scan(child, labels)
        found.extend(matches)
        if matches and not child.continue_:
            break
    return found or [route]


def test_a_node_with_many_children_indexes_them_and_matches_exactly_as_a_full_scan() -> None:
    def child(receiver: str, *matchers: str, continue_: bool = False) -> Route:
        return Route(receiver, tuple(map(parse_matcher, matchers)), continue_)

    children = (
        child("p1-copy", 'priority = "p1"', continue_=True),  # no equality on the indexed label
        *(child(f"team-{n}", f'store = "{n}"') for n in range(10)),
        child("team-3-eu", 'store = "3"', 'region = "eu"'),  # shadowed by team-3, as in a scan
        child("northern", 'store =~ "1[0-9]"'),
        child("team-12-also", 'store = "12"', continue_=True),
        child("catch-all"),
    )
    root = Route("champions", routes=children)
    assert len(root.candidates({"store": "4"})) < len(children)  # indexed: not every child
    for store in ("", "0", "3", "4", "9", "12", "15", "99"):
        for extra in ({}, {"priority": "p1"}, {"region": "eu"}):
            labels = {"store": store, **extra} if store else dict(extra)
            assert matching_routes(root, labels) == _scan(root, labels), labels
