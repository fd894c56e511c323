"""The dissatisfaction policy: scores and comment sentiment in, a decision with reasons out."""

from __future__ import annotations

from dataclasses import dataclass

from services.router.scoring import Sentiment
from services.router.severity import Customer, PriorityRules, assess, score_part
from shared.enums import Priority

PROMOTER_MIN = 9
SATISFIED_CSAT_MIN = 4
EASY_CES_MAX = 3


@dataclass(frozen=True)
class Thresholds:
    """Where dissatisfaction starts on each scale; the defaults follow common CX practice."""

    nps_detractor_max: int = 6
    csat_max: int = 2
    ces_min: int = 5
    polarity_below: float = -0.05


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
    - Any score past its threshold (NPS detractor, CSAT at or under its max, CES at or over its
      min) makes a case, whatever the comment says: a detractor with kind words is still one.
    - Otherwise a comment with polarity under the threshold makes a case, unless a score is
      clearly positive (promoter NPS, CSAT 4-5, CES 1-3): scores outweigh text when they
      disagree, so a promoter with a grumpy remark is not a case.
    - No comment, or a comment that was not analysed (e.g. not English): scores alone decide.
    The priority of a case comes from its severity (services/router/severity.py): score band,
    comment strength, kinds of complaint in the comment, a repeat complainer and customer
    value, mapped to p1/p2/p3 by `rules`; the last reason says how.
    """
    negative, positive = _score_signals(scores, thresholds)
    reasons = list(negative)
    text_negative = False
    if not has_comment:
        reasons.append("no comment; scores alone decide")
    elif not sentiment.analysed:
        reasons.append(
            f"comment not analysed (language {sentiment.language!r}); scores alone decide"
        )
    elif sentiment.polarity < thresholds.polarity_below:
        text_negative = True
        reasons.append(
            f"comment polarity {sentiment.polarity:.2f} under {thresholds.polarity_below:.2f}"
        )
    if not negative and text_negative and positive:
        reasons = [*positive, *reasons, "the scores outweigh the negative comment"]
        return Decision(False, tuple(reasons), None)
    if negative or text_negative:
        severity = assess(
            score_parts=score_part(
                scores.nps, scores.csat, scores.ces, nps_max=thresholds.nps_detractor_max,
                csat_max=thresholds.csat_max, ces_min=thresholds.ces_min, points=rules.points,
            ),
            polarity=sentiment.polarity if has_comment and sentiment.analysed else None,
            polarity_below=thresholds.polarity_below,
            comment=comment if has_comment else "",
            customer=customer,
            rules=rules,
        )  # fmt: skip
        reasons.append(severity.explain(rules))
        return Decision(True, tuple(reasons), severity.priority)
    calm = positive or ["no score past its threshold"]
    if has_comment and sentiment.analysed:
        calm.append(
            f"comment polarity {sentiment.polarity:.2f} not under {thresholds.polarity_below:.2f}"
        )
    return Decision(False, tuple([*calm, *reasons]), None)
