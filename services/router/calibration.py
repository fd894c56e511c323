"""Combine the sentiment signals into one polarity with a small logistic model shipped as JSON.

The weights come from bench/train_calibration.py (tuning part of the dev data only). The model
gives z, the log-odds that the customer is dissatisfied; polarity = -tanh(z / 2), which equals
P(not dissatisfied) - P(dissatisfied): -1..1, negative when a complaint is likely, and 0 when
the signals are silent (the model has no intercept, so no data set's class balance leaks into
comments that say nothing).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Calibration:
    """Weight of each signal in the log-odds of dissatisfaction."""

    weights: dict[str, float]


@functools.cache
def calibration() -> Calibration:
    """Load the shipped weights once per process."""
    source = resources.files("services.router") / "data" / "calibration.json"
    return Calibration(json.loads(source.read_text(encoding="utf-8"))["weights"])


def polarity(signals: dict[str, float]) -> tuple[float, list[tuple[str, float]]]:
    """Return the calibrated polarity and the signals that moved it most (in polarity units)."""
    weights = calibration().weights
    terms = {name: -weight * signals[name] for name, weight in weights.items()}
    value = math.tanh(sum(terms.values()) / 2)
    strongest = sorted((t for t in terms.items() if abs(t[1]) >= 0.01), key=lambda t: -abs(t[1]))
    return round(value, 4), [(name, term / 2) for name, term in strongest[:3]]
