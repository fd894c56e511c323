"""The dissatisfaction policy: scores and sentiment in, a decision with reasons and priority out.

The priority comes from the severity model (tests/router/test_severity.py has its table); here
only what the policy's own rules give at the default severity rules.
"""

from __future__ import annotations

import pytest

from services.router.policy import Disagreement, OnDisagreement, Scores, Thresholds, decide
from services.router.scoring import Sentiment, analyse
from shared.enums import Priority

T = Thresholds()
NEUTRAL = Sentiment(0.0, 0.3)
MILD = Sentiment(-0.2, 0.5)
STRONG = Sentiment(-0.8, 0.9)
KIND = Sentiment(0.6, 0.7)
FRENCH = Sentiment(0.0, 0.0, language="fr", analysed=False)


@pytest.mark.parametrize(
    ("scores", "sentiment", "dissatisfied", "priority"),
    [
        (Scores(nps=6), NEUTRAL, True, Priority.P3),  # a detractor at the threshold, calm words
        (Scores(nps=7), NEUTRAL, False, None),  # a passive with a neutral comment
        (Scores(nps=3), KIND, True, Priority.P3),  # a detractor with praise: a check case
        (Scores(nps=2), NEUTRAL, True, Priority.P2),  # extreme NPS alone is not P1 any more
        (Scores(csat=1), NEUTRAL, True, Priority.P2),
        (Scores(ces=7), NEUTRAL, True, Priority.P2),
        (Scores(csat=2), NEUTRAL, True, Priority.P2),
        (Scores(ces=5), NEUTRAL, True, Priority.P2),
        (Scores(nps=5, csat=2), NEUTRAL, True, Priority.P2),  # two scores agree: +1
        (Scores(nps=5), MILD, True, Priority.P2),  # a score and the comment agree
        (Scores(nps=1, csat=1), STRONG, True, Priority.P1),  # extreme, agreed and strong
        (Scores(nps=9), MILD, True, Priority.P3),  # a promoter with a grumpy remark: check
        (Scores(nps=10), STRONG, True, Priority.P3),  # disagreement: a check case, never P1
        (Scores(csat=5), MILD, True, Priority.P3),
        (Scores(ces=2), MILD, True, Priority.P3),
        (Scores(nps=2), Sentiment(0.3, 0.5), True, Priority.P2),  # mild warmth is not praise
        (Scores(nps=8), MILD, True, Priority.P3),  # a passive's negative comment counts
        (Scores(), MILD, True, Priority.P3),  # comment only, mildly negative
        (Scores(), STRONG, True, Priority.P2),  # comment only, strongly negative
        (Scores(), KIND, False, None),
        (Scores(nps=9, csat=1), KIND, True, Priority.P2),  # any bad score makes a case
    ],
)
def test_decision(
    scores: Scores, sentiment: Sentiment, dissatisfied: bool, priority: Priority | None
) -> None:
    decision = decide(scores, sentiment, T, has_comment=True)
    assert (decision.dissatisfied, decision.priority) == (dissatisfied, priority)
    assert decision.reasons


def test_reasons_are_human_readable() -> None:
    decision = decide(Scores(nps=3, csat=2, ces=6), Sentiment(-0.42, 0.5), T, has_comment=True)
    assert decision.reasons == (
        "NPS 3 is a detractor (0-6)",
        "CSAT 2 is at or under 2",
        "CES 6 is at or over 5 (high effort)",
        "comment polarity -0.42 under -0.05",
        "P2: NPS 3 detractor (+2), CSAT 2 agrees (+1), CES 6 (high effort) agrees (+1), "
        "comment negative (-0.42) (+1) = 5 points (P1 at 6, P2 at 2)",
    )


def test_a_promoter_with_a_negative_comment_says_why_it_is_a_check_case() -> None:
    decision = decide(Scores(nps=9), MILD, T, has_comment=True)
    assert decision.reasons == (
        "NPS 9 is a promoter (9-10)",
        "comment polarity -0.20 under -0.05",
        "the score is happy but the comment is negative",
        "score and comment disagree: a low-priority check case (p3)",
    )


def test_without_a_comment_scores_alone_decide() -> None:
    empty = Sentiment(0.0, 0.0, language="und", analysed=False)
    decision = decide(Scores(nps=4), empty, T, has_comment=False)
    assert decision.dissatisfied
    assert decision.reasons == (
        "NPS 4 is a detractor (0-6)",
        "no comment; scores alone decide",
        "P2: NPS 4 detractor (+2) = 2 points (P1 at 6, P2 at 2)",
    )


def test_an_unanalysed_comment_leaves_the_decision_to_the_scores() -> None:
    assert not decide(Scores(nps=8), FRENCH, T, has_comment=True).dissatisfied
    decision = decide(Scores(nps=1), FRENCH, T, has_comment=True)
    assert decision.dissatisfied and decision.priority is Priority.P2
    assert "comment not analysed (language 'fr'); scores alone decide" in decision.reasons


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(nps_detractor_max=8, csat_max=3, ces_min=4, polarity_below=-0.5)
    assert decide(Scores(nps=8), NEUTRAL, strict, has_comment=True).dissatisfied
    assert decide(Scores(csat=3), NEUTRAL, strict, has_comment=True).dissatisfied
    assert decide(Scores(ces=4), NEUTRAL, strict, has_comment=True).dissatisfied
    assert not decide(Scores(), MILD, strict, has_comment=True).dissatisfied
    assert decide(Scores(nps=8), NEUTRAL, strict, has_comment=True).reasons[0] == (
        "NPS 8 is a detractor (0-8)"
    )


HAPPY_BUT_NEGATIVE = Disagreement.HAPPY_SCORE_NEGATIVE_COMMENT
UNHAPPY_BUT_PRAISING = Disagreement.UNHAPPY_SCORE_PRAISING_COMMENT


@pytest.mark.parametrize(
    ("scores", "sentiment", "flag"),
    [
        (Scores(nps=10), MILD, HAPPY_BUT_NEGATIVE),
        (Scores(csat=5), STRONG, HAPPY_BUT_NEGATIVE),
        (Scores(ces=1), MILD, HAPPY_BUT_NEGATIVE),
        (Scores(nps=0), KIND, UNHAPPY_BUT_PRAISING),
        (Scores(csat=1), KIND, UNHAPPY_BUT_PRAISING),
        (Scores(nps=10), KIND, None),  # they agree
        (Scores(nps=0), STRONG, None),
        (Scores(nps=8), MILD, None),  # a passive is neither happy nor unhappy
        (Scores(nps=9, csat=1), KIND, None),  # mixed scores: nothing clear to disagree with
        (Scores(nps=10), FRENCH, None),  # a comment not analysed says nothing
        (Scores(), STRONG, None),  # no score
    ],
)
def test_score_and_comment_disagreement_is_flagged(
    scores: Scores, sentiment: Sentiment, flag: Disagreement | None
) -> None:
    decision = decide(scores, sentiment, T, has_comment=True)
    assert decision.disagreement == flag
    if flag is not None:
        assert (decision.dissatisfied, decision.priority) == (True, Priority.P3)
        assert decision.reasons[-1] == (
            "score and comment disagree: a low-priority check case (p3)"
        )


@pytest.mark.parametrize("comment", ["Nothing to improve", "Nothing, all good", "No complaints"])
def test_a_promoter_who_has_nothing_to_add_is_no_case(comment: str) -> None:
    decision = decide(Scores(nps=10), analyse(comment), T, has_comment=True)
    assert (decision.dissatisfied, decision.disagreement) == (False, None)


@pytest.mark.parametrize(
    "comment", ["Can't fault it", "Couldn't be happier", "Never had a single problem"]
)
def test_a_promoter_praising_in_an_idiom_is_no_case(comment: str) -> None:
    decision = decide(Scores(nps=10), analyse(comment), T, has_comment=True)
    assert (decision.dissatisfied, decision.disagreement) == (False, None)


def test_by_policy_a_disagreement_is_flagged_without_a_case() -> None:
    quiet = Thresholds(on_disagreement=OnDisagreement.NONE)
    for scores, sentiment in [(Scores(nps=10), STRONG), (Scores(nps=1), KIND)]:
        decision = decide(scores, sentiment, quiet, has_comment=True)
        assert decision.disagreement is not None
        assert (decision.dissatisfied, decision.priority) == (False, None)
        assert "flagged, no case" in decision.reasons[-1]
