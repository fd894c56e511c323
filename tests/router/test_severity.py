"""Severity: score band, comment strength, kinds of complaint, repeat complainer, customer value."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from services.router.policy import Scores, Thresholds, decide
from services.router.scoring import Sentiment
from services.router.severity import (
    DEFAULT_POINTS,
    Customer,
    PriorityRules,
    complaint_kinds,
    score_part,
)
from shared.enums import Priority

T = Thresholds()
NEUTRAL = Sentiment(0.0, 0.3)
MILD = Sentiment(-0.2, 0.5)
STRONG = Sentiment(-0.8, 0.9)
KIND = Sentiment(0.6, 0.7)
WARM = Sentiment(0.3, 0.5)  # warm words, not praise: a detractor with them is no check case
FRENCH = Sentiment(0.0, 0.0, language="fr", analysed=False)
GOLD = Customer({"plan": "Gold", "region": "eu"})
REPEAT = Customer(recent_cases=2)
VALUED = PriorityRules(value_attributes=MappingProxyType({"plan": ("enterprise", "gold")}))


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("They charged me twice for one order.", {"money"}),
        ("I was overcharged and still waiting for my refund", {"money"}),
        ("Total rip-off, I want my money back", {"money"}),
        ("My son got sick after the chicken, food poisoning", {"safety"}),
        ("She was rushed to hospital after the fall", {"safety"}),
        ("The step was broken and my mother was injured", {"safety"}),
        ("Found bed bugs in the room", {"safety"}),
        ("Cancel my subscription today.", {"churn"}),
        ("Never again. Switching to another provider.", {"churn"}),
        ("We will never stay here again", {"churn"}),
        ("I have contacted my lawyer", {"legal"}),
        ("I will report this to trading standards", {"legal"}),
        ("Sue them? I might.", {"legal"}),
        ("The manager was racist and yelled at me", {"abuse"}),
        ("I called five times and still no answer", {"repeat_contact"}),
        ("Nobody has called me back", {"repeat_contact"}),
        ("This is my third complaint about it", {"repeat_contact"}),
        ("Third time I've called about this bill, I'm closing my account", {"repeat_contact",
                                                                           "churn"}),
        # Ordinary complaints are not high-severity kinds, and look-alike words are not either.
        ("The courier left my parcel in the rain", set()),
        ("Great hospitality, close to the hospital and the station", set()),
        ("I've stayed here several times; this time the room was dirty", set()),
        ("Would not recommend the soup", set()),
        ("Rude staff and a long queue, no issue with the price", set()),
        ("The bill was correct but the food was cold", set()),
        ("I have never flown before and the seat was tight", set()),
    ],
)  # fmt: skip
def test_complaint_kinds(text: str, kinds: set[str]) -> None:
    found = complaint_kinds(text)
    assert {kind for kind, _ in found} == kinds
    assert all(words and words in text.lower() for _, words in found)  # named evidence


@pytest.mark.parametrize(
    ("scores", "points", "reasons"),
    [
        (Scores(nps=0), 3, ["NPS 0 detractor"]),
        (Scores(nps=2), 3, ["NPS 2 detractor"]),
        (Scores(nps=3), 2, ["NPS 3 detractor"]),
        (Scores(nps=4), 2, ["NPS 4 detractor"]),
        (Scores(nps=5), 1, ["NPS 5 detractor"]),
        (Scores(nps=6), 1, ["NPS 6 detractor"]),
        (Scores(nps=7), 0, []),
        (Scores(csat=1), 3, ["CSAT 1"]),
        (Scores(csat=2), 2, ["CSAT 2"]),
        (Scores(csat=3), 0, []),
        (Scores(ces=7), 3, ["CES 7 (high effort)"]),
        (Scores(ces=5), 2, ["CES 5 (high effort)"]),
        (Scores(ces=4), 0, []),
        (Scores(nps=6, csat=1), 4, ["CSAT 1", "NPS 6 detractor agrees"]),  # the worst band first
        (Scores(nps=1, csat=2, ces=6), 5, ["NPS 1 detractor", "CSAT 2 agrees",
                                           "CES 6 (high effort) agrees"]),
    ],
)  # fmt: skip
def test_score_bands(scores: Scores, points: int, reasons: list[str]) -> None:
    parts = score_part(
        scores.nps, scores.csat, scores.ces, nps_max=6, csat_max=2, ces_min=5,
        points=DEFAULT_POINTS,
    )  # fmt: skip
    assert (sum(p.points for p in parts), [p.reason for p in parts]) == (points, reasons)


@pytest.mark.parametrize(
    ("scores", "sentiment", "comment", "customer", "rules", "priority", "points"),
    [
        # The README's example: an NPS 2 with a plain comment is P2, not P1.
        (Scores(nps=2), NEUTRAL, "The courier left my parcel in the rain", Customer(),
         PriorityRules(), Priority.P2, 3),
        (Scores(nps=2), STRONG, "Parcel late again, awful", Customer(), PriorityRules(),
         Priority.P2, 5),
        (Scores(nps=2), STRONG, "Parcel lost and I want my money back", Customer(),
         PriorityRules(), Priority.P1, 7),
        (Scores(nps=2), STRONG, "Parcel late", REPEAT, PriorityRules(), Priority.P1, 7),
        (Scores(nps=2), STRONG, "Parcel late", GOLD, VALUED, Priority.P1, 7),
        (Scores(nps=2), STRONG, "Parcel late", GOLD, PriorityRules(), Priority.P2, 5),
        (Scores(nps=5), NEUTRAL, "", Customer(), PriorityRules(), Priority.P3, 1),
        (Scores(nps=5), MILD, "Slow", Customer(), PriorityRules(), Priority.P2, 2),
        (Scores(), MILD, "A bit slow", Customer(), PriorityRules(), Priority.P3, 1),
        (Scores(), STRONG, "Terrible service", Customer(), PriorityRules(), Priority.P2, 2),
        (Scores(), STRONG, "The waiter was racist to us", Customer(), PriorityRules(),
         Priority.P1, 6),
        (Scores(), MILD, "Meh, and I got sick after", Customer(), PriorityRules(), Priority.P2, 5),
        (Scores(nps=3), WARM, "Nice people", Customer(), PriorityRules(), Priority.P2, 2),
        (Scores(nps=1), FRENCH, "Jamais plus", Customer(), PriorityRules(), Priority.P2, 3),
        (Scores(nps=0, csat=1, ces=7), STRONG, "Awful", Customer(), PriorityRules(),
         Priority.P1, 7),
        # Configurable: cut points and points.
        (Scores(nps=2), STRONG, "Late", Customer(), PriorityRules(p1_at=5), Priority.P1, 5),
        (Scores(nps=5), NEUTRAL, "", Customer(), PriorityRules(p2_at=1), Priority.P2, 1),
        (Scores(nps=2), STRONG, "Lost my money", Customer(),
         PriorityRules(points=DEFAULT_POINTS | {"money": 0}), Priority.P2, 5),
        (Scores(nps=2), STRONG, "Late", REPEAT, PriorityRules(repeat_window_days=0),
         Priority.P2, 5),
    ],
)  # fmt: skip
def test_priority_follows_severity(
    scores: Scores, sentiment: Sentiment, comment: str, customer: Customer,
    rules: PriorityRules, priority: Priority, points: int,
) -> None:  # fmt: skip
    decision = decide(
        scores, sentiment, T, has_comment=bool(comment), comment=comment, customer=customer,
        rules=rules,
    )  # fmt: skip
    assert decision.dissatisfied
    assert decision.priority is priority
    assert decision.reasons[-1].startswith(f"{priority.upper()}: ")
    assert f" = {points} points (P1 at {rules.p1_at}, P2 at {rules.p2_at})" in decision.reasons[-1]


def test_the_reasons_say_why_the_priority_is_what_it_is() -> None:
    decision = decide(
        Scores(nps=2), STRONG, T, has_comment=True, comment="Third time I've called, nobody",
        customer=Customer({"plan": "enterprise"}, recent_cases=1), rules=VALUED,
    )  # fmt: skip
    assert decision.reasons[-1] == (
        "P1: NPS 2 detractor (+3), comment strongly negative (-0.80) (+2), "
        'repeated contact without an answer: "third time i\'ve called" (+2), '
        "repeat complainer: 1 other case(s) in 30 days (+2), "
        "high-value customer (plan=enterprise) (+2) = 11 points (P1 at 6, P2 at 2)"
    )


def test_a_promoter_score_with_a_severe_comment_is_a_check_case_never_p1() -> None:
    decision = decide(
        Scores(nps=10), STRONG, T, has_comment=True, comment="I will sue", customer=REPEAT
    )
    assert (decision.dissatisfied, decision.priority) == (True, Priority.P3)
    assert decision.disagreement is not None
