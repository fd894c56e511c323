"""Touchpoints are found from one-line descriptions alone, with the words that matched."""

from __future__ import annotations

import pytest

from services.router.touchpoints import TouchpointDetector, TouchpointSpec

RETAIL = [
    TouchpointSpec("delivery", "Delivery: couriers, parcels, late, missing or damaged deliveries"),
    TouchpointSpec("billing", "Billing: invoices, payments, refunds and charges"),
    TouchpointSpec("support", "Customer support: phone lines, hold times, agents, email replies"),
    TouchpointSpec("store", "Stores: staff, queues at the till, opening hours"),
    TouchpointSpec("website", "Website and app: login, checkout, search, errors"),
]


@pytest.fixture(scope="module")
def detector() -> TouchpointDetector:
    return TouchpointDetector(RETAIL)


@pytest.mark.parametrize(
    ("text", "touchpoint"),
    [
        ("The courier left my parcel in the rain", "delivery"),
        ("My packages were delivered to the wrong house", "delivery"),
        ("I was charged twice and still have no refund", "billing"),
        ("Been on hold for an hour, the representative hung up on me", "support"),
        ("The app crashes every time I try to log in", "website"),
        ("The website keeps showing an error when I pay at checkout", "website"),
        ("The staff at the till ignored me while the queue got longer", "store"),
    ],
)
def test_finds_the_touchpoint_a_complaint_is_about(
    detector: TouchpointDetector, text: str, touchpoint: str
) -> None:
    assert detector.detect(text)[0].name == touchpoint


def test_inflections_and_plurals_match(detector: TouchpointDetector) -> None:
    for text in ("one parcel", "two parcels", "the couriers", "a courier's van"):
        assert detector.detect(text)[0].name == "delivery"


def test_case_does_not_matter(detector: TouchpointDetector) -> None:
    assert detector.detect("MY PARCEL IS LOST")[0].name == "delivery"


def test_several_touchpoints_can_match_best_first(detector: TouchpointDetector) -> None:
    matches = detector.detect("The parcel never came and the refund is still not on my card")
    names = [m.name for m in matches]
    assert {"delivery", "billing"} <= set(names)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_nothing_matches_an_unrelated_comment(detector: TouchpointDetector) -> None:
    assert detector.detect("Hello there, lovely weather today") == []


def test_evidence_shows_which_configured_word_a_synonym_matched(
    detector: TouchpointDetector,
) -> None:
    match = TouchpointDetector([TouchpointSpec("baggage", "Lost or damaged luggage")]).detect(
        "They lost my suitcase"
    )[0]
    assert "lost" in match.evidence
    # The touchpoint's name is configured text too, so "baggage" may be the word named.
    assert any(e in ("suitcase~luggage", "suitcase~baggage") for e in match.evidence)
    assert detector.detect("refund please")[0].evidence


def test_keywords_from_config_count(detector: TouchpointDetector) -> None:
    custom = TouchpointDetector([*RETAIL, TouchpointSpec("loyalty", "Loyalty", ("stampcard",))])
    assert custom.detect("my stampcard was not stamped")[0].name == "loyalty"


def test_words_shared_by_every_touchpoint_decide_nothing() -> None:
    specs = [TouchpointSpec("a", "order problems: tracking"), TouchpointSpec("b", "order: pricing")]
    assert TouchpointDetector(specs).detect("where is my order tracking")[0].name == "a"


def test_words_in_no_description_or_word_group_match_by_word_similarity() -> None:
    specs = [
        TouchpointSpec("checkout", "Checkout: basket, payment, card declined, promo codes"),
        TouchpointSpec("product_quality", "Product quality: faulty or broken items, wrong size"),
        TouchpointSpec("store", "Stores: staff, queues, tills, opening hours"),
    ]
    detector = TouchpointDetector(specs)
    rejected = detector.detect("The promo code was rejected")[0]
    small = detector.detect("These trainers are far too small")[0]
    assert rejected.name == "checkout"
    assert any(e.startswith("rejected\u2248declined") for e in rejected.evidence)
    assert small.name == "product_quality"
    assert any(e.startswith("small\u2248size") for e in small.evidence)


@pytest.mark.parametrize(
    ("text", "touchpoint"),
    [("#customersupport is a joke", "support"), ("#lostparcel again", "delivery")],
)
def test_run_together_hashtags_are_split_into_words(
    detector: TouchpointDetector, text: str, touchpoint: str
) -> None:
    assert detector.detect(text)[0].name == touchpoint


def test_a_word_counts_most_where_it_is_what_the_description_is_about() -> None:
    specs = [
        TouchpointSpec("crew", "Crew: how flight attendants treat passengers"),
        TouchpointSpec("operations", "Delays: late departures, a cancelled flight"),
    ]
    detector = TouchpointDetector(specs)
    assert detector.detect("my flight was awful")[0].name == "operations"
    assert detector.detect("the flight attendant was rude")[0].name == "crew"


def test_a_configured_word_brings_only_the_synonyms_of_its_meaning(
    detector: TouchpointDetector,
) -> None:
    # "phone lines": the support description means a telephone line, not a queue.
    names = [m.name for m in detector.detect("stuck in a long queue")]
    assert names[0] == "store"
    assert "support" not in names


def test_retail_touchpoints_from_descriptions_alone() -> None:
    specs = [
        TouchpointSpec(
            "delivery", "Delivery: couriers, parcels, late, missing or damaged deliveries"
        ),
        TouchpointSpec(
            "billing", "Billing: invoices, charges, refunds, double charged, wrong price"
        ),
        TouchpointSpec("support", "Customer support: call centre, chat, email replies, agents"),
        TouchpointSpec("store", "Stores: staff, queues, tills, stock on shelves, opening hours"),
    ]
    detector = TouchpointDetector(specs)
    cases = {
        "The driver dumped the package on the doorstep": "delivery",
        "Overcharged on my invoice again": "billing",
        "Nobody replied to my emails for a week": "support",
        "Shelves were empty and nobody to ask": "store",
    }
    for text, touchpoint in cases.items():
        assert detector.detect(text)[0].name == touchpoint, text


# Touchpoints across wordings: each case below goes elsewhere without the mechanism it names.


def test_the_touchpoint_name_counts_like_a_description_item() -> None:
    # "food" is only in the service description; the team named the other touchpoint "food".
    specs = [
        TouchpointSpec("food", "The dishes we serve: taste and freshness"),
        TouchpointSpec("service", "Waiters and hosts: waiting for a table or food"),
    ]
    assert TouchpointDetector(specs).detect("The food here is nothing special")[0].name == "food"


def test_the_complaint_not_the_praise_names_the_touchpoint() -> None:
    specs = [
        TouchpointSpec("food", "Food: dishes, taste, portions"),
        TouchpointSpec("staff", "Staff: waiters, hosts, bartenders"),
    ]
    matches = TouchpointDetector(specs).detect("Delicious food, but our waiter was rude and slow")
    assert [m.name for m in matches] == ["staff", "food"]


def test_a_feeling_word_in_a_description_only_qualifies() -> None:
    specs = [
        TouchpointSpec("inflight", "A bad flight on board: seats, legroom"),
        TouchpointSpec("crew", "Flight attendants: how they treat passengers"),
    ]
    detector = TouchpointDetector(specs)
    assert detector.detect("The steward was bad")[0].name == "crew"
    assert detector.detect("Horrible") == []  # not matched to "bad" by similarity


def test_very_common_words_are_not_matched_by_similarity() -> None:
    specs = [
        TouchpointSpec("general", "Whether guests would return"),
        TouchpointSpec("food", "Dishes: taste"),
    ]
    assert TouchpointDetector(specs).detect("If only") == []  # "if" is close to "whether"


def test_general_word_groups_link_a_quality_to_what_it_describes() -> None:
    specs = [
        TouchpointSpec("ambience", "Atmosphere: noise, music, decor"),
        TouchpointSpec("service", "Waiters: speed"),
        TouchpointSpec("price", "Prices and the bill"),
    ]
    matches = TouchpointDetector(specs).detect("Far too noisy, painfully slow and overpriced")
    found = {m.name: m.evidence for m in matches}
    assert found == {
        "ambience": ("noisy~noise",),
        "service": ("slow~speed",),
        "price": ("overpriced~price",),
    }


def test_a_phrasal_verbs_particle_names_no_touchpoint() -> None:
    # "out" of "checking in or out" once outweighed "wifi": the Wi-Fi complaint went to reception
    hotel = TouchpointDetector(
        [
            TouchpointSpec("front_desk", "When checking in or out took forever"),
            TouchpointSpec("amenities", "When the pool, gym, spa, Wi-Fi or parking was closed"),
        ]
    )
    assert hotel.detect("wifi kept dropping out, impossible to work")[0].name == "amenities"


def test_the_verbs_of_any_complaint_name_no_touchpoint() -> None:
    # descriptions in the customer's voice: "working" once sent a flickering screen to the keyboard
    laptop = TouchpointDetector(
        [
            TouchpointSpec("keyboard", "Keys stick or stop working, or the trackpad is jumpy"),
            TouchpointSpec("display", "Something is wrong with the screen, like it flickers"),
        ]
    )
    complaint = "The panel flickers when it's dim. Working at night gives me a headache"
    assert laptop.detect(complaint)[0].name == "display"
