"""The touchpoint model learnt from corrections: what it learns, the gate, storage as JSON."""

from __future__ import annotations

import json

import pytest

from services.router.gate import held_back, train_and_judge
from services.router.learning import Blended, Example, LearntModel, blend, classes_of, train
from services.router.touchpoints import TouchpointDetector, TouchpointSpec

SPECS = [
    TouchpointSpec("baggage", "Checked bags that are lost or damaged"),
    TouchpointSpec("airport", "Check-in queues and security lines"),
    TouchpointSpec("cabin_crew", "Flight attendants and how they treat passengers"),
]
DEFAULT = "general"
CLASSES = classes_of([s.name for s in SPECS], DEFAULT)
DURATIONS = ["ten", "twenty", "forty", "ninety", "two hundred", "many", "so many", "countless"]


@pytest.fixture(scope="module")
def detector() -> TouchpointDetector:
    return TouchpointDetector(SPECS)


def skycart_corrections(n: int) -> list[Example]:
    """Comments naming SkyCart, the airline's bag delivery (a word no description has)."""
    places = ["skycart", "skycart again", "skycart 4", "skycart in Denver", "skycart, awful"]
    return [
        Example(f"Waited {DURATIONS[i % 8]} minutes for {places[i % 5]} #{i}", "baggage")
        for i in range(n)
    ]


def confirmed_cases(n: int) -> list[Example]:
    """Cases the descriptions routed right, closed as routed."""
    kinds = [
        ("My checked bag is lost", "baggage"),
        ("The security line was endless", "airport"),
        ("The flight attendant was rude to passengers", "cabin_crew"),
    ]
    return [
        Example(f"{kinds[i % 3][0]} (trip {i})", kinds[i % 3][1], confirmed=True) for i in range(n)
    ]


def first(detector: TouchpointDetector, text: str) -> str:
    found = detector.detect(text)
    return found[0].name if found else DEFAULT


def test_learns_a_word_that_no_description_has(detector: TouchpointDetector) -> None:
    text = "Another hour waiting for SkyCart tonight"
    assert first(detector, text) != "baggage"
    model = train(
        skycart_corrections(30) + confirmed_cases(30), detector, CLASSES, DEFAULT,
        version=3,
    )  # fmt: skip
    ranked = Blended(detector, model, DEFAULT).detect(text)
    assert ranked[0].name == "baggage"
    said = ranked[0].evidence[-1]
    assert said.startswith("learnt v3: ")
    assert "skycart" in said.split(": ")[1]


def test_what_the_descriptions_route_right_stays_right(detector: TouchpointDetector) -> None:
    model = train(skycart_corrections(30) + confirmed_cases(30), detector, CLASSES, DEFAULT)
    for text, touchpoint in [
        ("They lost my checked bag", "baggage"),
        ("Security line took ages", "airport"),
        ("Rude flight attendant", "cabin_crew"),
    ]:
        assert blend(model, text, detector.detect(text), DEFAULT)[0].name == touchpoint


def test_the_gate_refuses_a_model_that_does_not_beat_descriptions(
    detector: TouchpointDetector,
) -> None:
    examples = confirmed_cases(90)
    assert sum(held_back(e.text) for e in examples) >= 10
    verdict = train_and_judge(examples, detector, CLASSES, DEFAULT)
    assert verdict.metrics["descriptions_accuracy"] == 1.0
    assert not verdict.activate
    assert "does not beat descriptions alone" in verdict.metrics["reason"]


def test_the_gate_accepts_a_model_that_beats_descriptions_on_unseen_corrections(
    detector: TouchpointDetector,
) -> None:
    verdict = train_and_judge(
        skycart_corrections(60) + confirmed_cases(60), detector, CLASSES, DEFAULT
    )
    m = verdict.metrics
    assert verdict.activate
    assert m["blend_accuracy"] > m["descriptions_accuracy"]
    assert m["trained_on"] + m["held_back"] == 120
    assert verdict.model.examples == m["refitted_on"] == 120  # the winner is refitted on all


def test_the_gate_refuses_to_judge_on_too_few_examples(detector: TouchpointDetector) -> None:
    verdict = train_and_judge(skycart_corrections(8), detector, CLASSES, DEFAULT)
    assert not verdict.activate
    assert "held-back examples" in verdict.metrics["reason"]


def test_corrections_alone_never_switch_a_model_on(detector: TouchpointDetector) -> None:
    """People correct mistakes: on held-back corrections descriptions always score 0, so any
    model would pass; without confirmations the gate cannot tell what a model would break."""
    corrected_only = train_and_judge(skycart_corrections(120), detector, CLASSES, DEFAULT)
    m = corrected_only.metrics
    assert m["descriptions_accuracy"] == 0.0 < m["blend_accuracy"]
    assert not corrected_only.activate
    assert "confirmations" in m["reason"]
    assert (m["corrections"], m["confirmations"], m["held_back_confirmations"]) == (120, 0, 0)
    assert train_and_judge(
        skycart_corrections(60) + confirmed_cases(60), detector, CLASSES, DEFAULT
    ).activate


def test_corrections_to_unknown_touchpoints_are_left_out(detector: TouchpointDetector) -> None:
    examples = [*skycart_corrections(5), Example("The lounge was closed", "lounges")]
    model = train(examples, detector, CLASSES, DEFAULT)
    assert model.examples == 5
    assert model.classes == CLASSES


def test_a_model_survives_a_json_round_trip(detector: TouchpointDetector) -> None:
    model = train(skycart_corrections(20) + confirmed_cases(20), detector, CLASSES, DEFAULT)
    stored = json.loads(json.dumps(model.to_payload()))
    again = LearntModel.from_payload(7, stored)
    for text in ["Another hour waiting for skycart", "Rude flight attendant", "nothing to see"]:
        found = detector.detect(text)
        before = [(m.name, m.score) for m in blend(model, text, found, DEFAULT)]
        after = [(m.name, m.score) for m in blend(again, text, found, DEFAULT)]
        assert after == before
    assert again.version == 7
    assert blend(again, "skycart", [], DEFAULT)[0].evidence[-1].startswith("learnt v7")


def meal_corrections(n: int) -> list[Example]:
    """Catering complaints, which this airline's cabin crew owns (no description says so)."""
    said = [
        "The meal was cold",
        "Dinner on board was inedible",
        "Breakfast was stale and tiny",
        "The food served was awful",
        "My lunch tray was disgusting",
    ]
    return [Example(f"{said[i % 5]} (trip {i})", "cabin_crew") for i in range(n)]


def undescribed_corrections(n: int) -> list[Example]:
    """Complaints no description matches that stay with the default touchpoint."""
    said = ["The app kept crashing", "Website was down", "My points were never credited"]
    return [Example(f"{said[i % 3]} (trip {i})", DEFAULT) for i in range(n)]


def test_a_word_no_correction_contained_is_routed_by_its_meaning(
    detector: TouchpointDetector,
) -> None:
    examples = meal_corrections(30) + undescribed_corrections(30) + confirmed_cases(60)
    model = train(examples, detector, CLASSES, DEFAULT)
    text = "That sandwich tasted revolting"
    assert not {"sandwich", "tast", "revolt"} & set(model.vocabulary)
    without = LearntModel.from_payload(1, {**model.to_payload(), "meaning": None})

    def crew(m: LearntModel) -> float:
        ranked = blend(m, text, detector.detect(text), DEFAULT)
        return next(x.score for x in ranked if x.name == "cabin_crew")

    assert blend(model, text, detector.detect(text), DEFAULT)[0].name == "cabin_crew"
    assert crew(model) > crew(without) + 0.2  # the meaning, not the prior, moved it
