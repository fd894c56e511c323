"""The gate: whether a touchpoint model trained on a deployment's cases may be switched on.

A candidate is judged on examples it never saw (one in GATE_SHARE, held back by a hash of the
text) against descriptions alone. Among them must be confirmations: corrections alone are the
router's mistakes, on which descriptions alone always score 0 and any model looks better.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.router.learning import Detector, Example, LearntModel, blend, train

GATE_SHARE = 5  # one example in five judges candidates and is never trained on
GATE_MINIMUM = 10  # fewer held-back examples than this cannot tell a model from noise
GATE_CONFIRMED = 5  # nor can fewer held-back confirmations tell whether it keeps what was right


def accuracy(examples: Sequence[Example], choose: Callable[[str], str]) -> float:
    """Share of examples whose touchpoint `choose` gets right (0 when there are none)."""
    if not examples:
        return 0.0
    return sum(choose(e.text) == e.touchpoint for e in examples) / len(examples)


def held_back(text: str) -> bool:
    """Tell whether an example is kept for judging models, never for training them.

    One in GATE_SHARE, by a hash of the text salted so that it is independent of the split
    `cxloop eval` uses (a replay of its development rows still holds some back).
    """
    digest = hashlib.sha1(f"gate:{text}".encode()).hexdigest()
    return int(digest, 16) % GATE_SHARE == 0


@dataclass(frozen=True)
class Verdict:
    """A trained candidate, whether it may be switched on, and the figures that say why."""

    model: LearntModel
    activate: bool
    metrics: dict[str, Any]


def train_and_judge(
    examples: Sequence[Example], detector: Detector, classes: Sequence[str], default: str
) -> Verdict:
    """Judge a candidate trained without the held-back examples; if it wins, refit on all.

    The candidate must be strictly more accurate than descriptions alone on at least
    GATE_MINIMUM held-back examples it never saw, GATE_CONFIRMED of them confirmations (without
    them every held-back example is a mistake of the descriptions, and any model beats them).
    The gate thus judges the recipe on unseen cases; the model switched on is the same recipe
    refitted on every example, held-back ones included (at 200 corrections the fifth held back
    is worth +0.02 to +0.04).
    """
    usable = [e for e in examples if e.touchpoint in set(classes)]
    trained_on = [e for e in usable if not held_back(e.text)]
    judged_on = [e for e in usable if held_back(e.text)]
    confirmed = sum(e.confirmed for e in judged_on)
    model = train(trained_on, detector, classes, default)

    def alone(text: str) -> str:
        found = detector.detect(text)
        return found[0].name if found else default

    def blended(text: str) -> str:
        return blend(model, text, detector.detect(text), default)[0].name

    before, after = accuracy(judged_on, alone), accuracy(judged_on, blended)
    if len(judged_on) < GATE_MINIMUM:
        activate, reason = False, f"only {len(judged_on)} held-back examples (< {GATE_MINIMUM})"
    elif confirmed < GATE_CONFIRMED:
        activate, reason = (
            False,
            (
                f"only {confirmed} held-back confirmations (< {GATE_CONFIRMED}): corrections alone "
                "are the router's mistakes and cannot show what a model would break"
            ),
        )
    elif after > before:
        activate, reason = True, f"beats descriptions alone: {after:.3f} > {before:.3f}"
    else:
        activate, reason = False, f"does not beat descriptions alone: {after:.3f} <= {before:.3f}"
    if activate:
        model = train(usable, detector, classes, default)
    metrics = {
        "corrections": sum(not e.confirmed for e in usable),
        "confirmations": sum(e.confirmed for e in usable),
        "trained_on": len(trained_on),
        "refitted_on": model.examples if activate else 0,
        "held_back": len(judged_on),
        "held_back_confirmations": confirmed,
        "left_out": len(examples) - len(usable),
        "descriptions_accuracy": round(before, 4),
        "blend_accuracy": round(after, 4),
        "activate": activate,
        "reason": reason,
    }
    return Verdict(model, activate, metrics)
