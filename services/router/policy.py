"""The dissatisfaction policy: scores and comment sentiment in, a decision with reasons out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.router.scoring import Sentiment
from services.router.severity import Customer, PriorityRules, assess, score_part
from shared.enums import Priority

PROMOTER_MIN = 9
SATISFIED_CSAT_MIN = 4
EASY_CES_MAX = 3


class Disagreement(StrEnum):
    """A score and a comment that say opposite things (a slip of the scale, or a real gripe)."""

    HAPPY_SCORE_NEGATIVE_COMMENT = "happy_score_negative_comment"
    UNHAPPY_SCORE_PRAISING_COMMENT = "unhappy_score_praising_comment"


class OnDisagreement(StrEnum):
    """What the policy does with a disagreement: open a low-priority check case, or none."""

    CHECK = "check"
    NONE = "none"


@dataclass(frozen=True)
class Thresholds:
    """Where dissatisfaction starts on each scale; the defaults follow common CX practice."""

    nps_detractor_max: int = 6
    csat_max: int = 2
    ces_min: int = 5
    polarity_below: float = -0.05
    praise_above: float = 0.5  # a comment this positive praises (a detractor's "great service!")
    on_disagreement: OnDisagreement = OnDisagreement.CHECK


@dataclass(frozen=True)
class Scores:
    """The survey scores of one response; any of them may be missing."""

    nps: int | None = None
    csat: int | None = None
    ces: int | None = None


@dataclass(frozen=True)
class Decision:
    """Whether a response is a case, why (in words a team lead understands), and how urgent."""

    dissatisfied: bool
    reasons: tuple[str, ...]
    priority: Priority | None = None
    disagreement: Disagreement | None = None  # flagged whether or not it made a case


def nps_category(nps: int | None, thresholds: Thresholds) -> str | None:
    """Return detractor, passive or promoter (None without an NPS)."""
    if nps is None:
        return None
    if nps <= thresholds.nps_detractor_max:
        return "detractor"
    return "promoter" if nps >= PROMOTER_MIN else "passive"


def csat_band(csat: int | None, thresholds: Thresholds) -> str | None:
    """Return dissatisfied, neutral or satisfied (None without a CSAT)."""
    if csat is None:
        return None
    if csat <= thresholds.csat_max:
        return "dissatisfied"
    return "satisfied" if csat >= SATISFIED_CSAT_MIN else "neutral"


def ces_band(ces: int | None, thresholds: Thresholds) -> str | None:
    """Return hard, neutral or easy (None without a CES); a high CES means high effort."""
    if ces is None:
        return None
    if ces >= thresholds.ces_min:
        return "hard"
    return "easy" if ces <= EASY_CES_MAX else "neutral"


DEFAULT_RULES = PriorityRules()
NO_CUSTOMER = Customer()


def _score_signals(scores: Scores, t: Thresholds) -> tuple[list[str], list[str]]:
    """Split the scores into negative signals and positive observations."""
    negative: list[str] = []
    positive: list[str] = []
    category = nps_category(scores.nps, t)
    if category == "detractor":
        negative.append(f"NPS {scores.nps} is a detractor (0-{t.nps_detractor_max})")
    elif category == "promoter":
        positive.append(f"NPS {scores.nps} is a promoter ({PROMOTER_MIN}-10)")
    band = csat_band(scores.csat, t)
    if band == "dissatisfied":
        negative.append(f"CSAT {scores.csat} is at or under {t.csat_max}")
    elif band == "satisfied":
        positive.append(f"CSAT {scores.csat} is satisfied ({SATISFIED_CSAT_MIN}-5)")
    effort = ces_band(scores.ces, t)
    if effort == "hard":
        negative.append(f"CES {scores.ces} is at or over {t.ces_min} (high effort)")
    elif effort == "easy":
        positive.append(f"CES {scores.ces} is low effort (1-{EASY_CES_MAX})")
    return negative, positive


def decide(
    scores: Scores, sentiment: Sentiment, thresholds: Thresholds, *, has_comment: bool,
    comment: str = "", customer: Customer = NO_CUSTOMER, rules: PriorityRules = DEFAULT_RULES,
) -> Decision:  # fmt: skip
    """Decide whether a response is a case, with reasons and a priority.

    Rules, in order:
    - Score and comment disagree (a clearly happy score, promoter NPS, CSAT 4-5 or CES 1-3,
      with a comment under the polarity threshold; or a score past its threshold with a comment
      over `praise_above`): the decision is flagged, and by `on_disagreement` it is a
      low-priority (p3) check case or no case. "NPS 10, courier two hours late" is a customer
      to check on, not a promoter; "NPS 0, lovely staff!" is often a slip of the scale.
    - Any score past its threshold (NPS detractor, CSAT at or under its max, CES at or over its
      min) makes a case.
    - Otherwise a comment with polarity under the threshold makes a case.
    - No comment, or a comment that was not analysed (e.g. not English): scores alone decide.
    The priority of a case comes from its severity (services/router/severity.py): score band,
    comment strength, kinds of complaint in the comment, a repeat complainer and customer
    value, mapped to p1/p2/p3 by `rules`; the last reason says how.
    """
    negative, positive = _score_signals(scores, thresholds)
    reasons = list(negative)
    analysed = has_comment and sentiment.analysed
    text_negative = analysed and sentiment.polarity < thresholds.polarity_below
    if not has_comment:
        reasons.append("no comment; scores alone decide")
    elif not sentiment.analysed:
        reasons.append(
            f"comment not analysed (language {sentiment.language!r}); scores alone decide"
        )
    elif text_negative:
        reasons.append(
            f"comment polarity {sentiment.polarity:.2f} under {thresholds.polarity_below:.2f}"
        )
    disagreement = _disagreement(negative, positive, sentiment, thresholds, analysed=analysed)
    if disagreement is not None:
        return _disagreeing(disagreement, negative, positive, sentiment, thresholds, reasons)
    if negative or text_negative:
        severity = assess(
            score_parts=score_part(
                scores.nps, scores.csat, scores.ces, nps_max=thresholds.nps_detractor_max,
                csat_max=thresholds.csat_max, ces_min=thresholds.ces_min, points=rules.points,
            ),
            polarity=sentiment.polarity if analysed else None,
            polarity_below=thresholds.polarity_below,
            comment=comment if has_comment else "",
            customer=customer,
            rules=rules,
        )  # fmt: skip
        reasons.append(severity.explain(rules))
        return Decision(True, tuple(reasons), severity.priority)
    calm = positive or ["no score past its threshold"]
    if analysed:
        calm.append(
            f"comment polarity {sentiment.polarity:.2f} not under {thresholds.polarity_below:.2f}"
        )
    return Decision(False, tuple([*calm, *reasons]), None)


def _disagreement(
    negative: list[str], positive: list[str], sentiment: Sentiment, t: Thresholds,
    *, analysed: bool,
) -> Disagreement | None:  # fmt: skip
    """A clearly happy score with a negative comment, or an unhappy score with praise.

    Mixed scores (one past its threshold, another clearly positive) are not a disagreement of
    score and comment; neither is a comment that was not analysed.
    """
    if not analysed or (negative and positive):
        return None
    if positive and sentiment.polarity < t.polarity_below:
        return Disagreement.HAPPY_SCORE_NEGATIVE_COMMENT
    if negative and sentiment.polarity > t.praise_above:
        return Disagreement.UNHAPPY_SCORE_PRAISING_COMMENT
    return None


def _disagreeing(
    disagreement: Disagreement, negative: list[str], positive: list[str],
    sentiment: Sentiment, t: Thresholds, reasons: list[str],
) -> Decision:  # fmt: skip
    """Flag a disagreement; by policy, open a low-priority check case (p3) or none."""
    if disagreement is Disagreement.HAPPY_SCORE_NEGATIVE_COMMENT:
        said = [*positive, *reasons, "the score is happy but the comment is negative"]
    else:
        said = [
            *reasons,
            f"comment polarity {sentiment.polarity:.2f} over {t.praise_above:.2f} (praise)",
            "the score is unhappy but the comment praises",
        ]
    if t.on_disagreement is OnDisagreement.CHECK:
        said.append("score and comment disagree: a low-priority check case (p3)")
        return Decision(True, tuple(said), Priority.P3, disagreement)
    said.append("score and comment disagree: flagged, no case (policy on_disagreement: none)")
    return Decision(False, tuple(said), None, disagreement)
