"""The dissatisfaction policy: scores and comment sentiment in, a decision with reasons out."""

from __future__ import annotations

from dataclasses import dataclass

from services.router.scoring import Sentiment
from shared.enums import Priority

# Scores this far out are urgent on their own, whatever the thresholds are.
EXTREME_NPS_MAX = 2
EXTREME_CSAT = 1
EXTREME_CES = 7
# A comment this negative counts as a strong signal.
STRONG_POLARITY = -0.5
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


@dataclass(frozen=True)
class _Signal:
    reason: str
    extreme: bool = False


def _score_signals(scores: Scores, t: Thresholds) -> tuple[list[_Signal], list[str]]:
    """Split the scores into negative signals and positive observations."""
    negative: list[_Signal] = []
    positive: list[str] = []
    category = nps_category(scores.nps, t)
    if category == "detractor":
        extreme = scores.nps is not None and scores.nps <= EXTREME_NPS_MAX
        negative.append(
            _Signal(f"NPS {scores.nps} is a detractor (0-{t.nps_detractor_max})", extreme)
        )
    elif category == "promoter":
        positive.append(f"NPS {scores.nps} is a promoter ({PROMOTER_MIN}-10)")
    band = csat_band(scores.csat, t)
    if band == "dissatisfied":
        negative.append(
            _Signal(f"CSAT {scores.csat} is at or under {t.csat_max}", scores.csat == EXTREME_CSAT)
        )
    elif band == "satisfied":
        positive.append(f"CSAT {scores.csat} is satisfied ({SATISFIED_CSAT_MIN}-5)")
    effort = ces_band(scores.ces, t)
    if effort == "hard":
        negative.append(
            _Signal(f"CES {scores.ces} is at or over {t.ces_min} (high effort)",
                    scores.ces == EXTREME_CES)
        )  # fmt: skip
    elif effort == "easy":
        positive.append(f"CES {scores.ces} is low effort (1-{EASY_CES_MAX})")
    return negative, positive


def decide(
    scores: Scores, sentiment: Sentiment, thresholds: Thresholds, *, has_comment: bool
) -> Decision:
    """Decide whether a response is a case, with reasons and a priority.

    Rules, in order:
    - Any score past its threshold (NPS detractor, CSAT at or under its max, CES at or over its
      min) makes a case, whatever the comment says: a detractor with kind words is still one.
    - Otherwise a comment with polarity under the threshold makes a case, unless a score is
      clearly positive (promoter NPS, CSAT 4-5, CES 1-3): scores outweigh text when they
      disagree, so a promoter with a grumpy remark is not a case.
    - No comment, or a comment that was not analysed (e.g. not English): scores alone decide.
    Priority of a case: p1 when a score is extreme (NPS 0-2, CSAT 1, CES 7) or at least two
    negative signals agree (scores and comment counted separately); p2 for one negative score,
    or a strongly negative comment (polarity <= -0.5) alone; p3 for a mildly negative comment
    alone.
    """
    negative, positive = _score_signals(scores, thresholds)
    reasons = [s.reason for s in negative]
    text_negative = False
    strong_text = False
    if not has_comment:
        reasons.append("no comment; scores alone decide")
    elif not sentiment.analysed:
        reasons.append(
            f"comment not analysed (language {sentiment.language!r}); scores alone decide"
        )
    elif sentiment.polarity < thresholds.polarity_below:
        text_negative = True
        strong_text = sentiment.polarity <= STRONG_POLARITY
        reasons.append(
            f"comment polarity {sentiment.polarity:.2f} under {thresholds.polarity_below:.2f}"
        )
    if negative:
        signals = len(negative) + int(text_negative)
        extreme = any(s.extreme for s in negative)
        priority = Priority.P1 if extreme or signals >= 2 else Priority.P2
        return Decision(True, tuple(reasons), priority)
    if text_negative:
        if positive:
            reasons = [*positive, *reasons, "the scores outweigh the negative comment"]
            return Decision(False, tuple(reasons), None)
        return Decision(True, tuple(reasons), Priority.P2 if strong_text else Priority.P3)
    calm = positive or ["no score past its threshold"]
    if has_comment and sentiment.analysed:
        calm.append(
            f"comment polarity {sentiment.polarity:.2f} not under {thresholds.polarity_below:.2f}"
        )
    return Decision(False, tuple([*calm, *reasons]), None)
