"""Labelled comments, the metrics to judge the router on them, and descriptions-only configs."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from services.router.config import ConfigError, RouterConfig, load_config, parse_config
from services.router.routing import Route
from shared import yaml_load

# negativereason -> touchpoint, from the data set's README; "Can't Tell" has no touchpoint.
REASON_TOUCHPOINT = {
    "Customer Service Issue": "customer_service",
    "Late Flight": "flight_operations",
    "Cancelled Flight": "flight_operations",
    "Lost Luggage": "baggage",
    "Damaged Luggage": "baggage",
    "Flight Booking Problems": "booking",
    "Flight Attendant Complaints": "cabin_crew",
    "Bad Flight": "inflight",
    "longlines": "airport",
}
# Thresholds of the two baselines, tuned for macro-F1 on airline_dev.csv (../shared/data/README.md):
# the independent checks compare against these on every domain.
BASELINE_THRESHOLDS = {"textblob": 0.16, "vader": 0.36}
HELD_OUT_SHARE = 5  # one comment in five, chosen by a hash of its text, is never looked at


@cache
def baseline_vader() -> SentimentIntensityAnalyzer:
    """VADER as published, for the baseline: the router's own adds words to its lexicon."""
    return SentimentIntensityAnalyzer()


@dataclass(frozen=True)
class Labelled:
    """One labelled comment: its text, whether the customer was dissatisfied, its touchpoint.

    `dissatisfied` is None where the set has no satisfaction label (touchpoint-only sets);
    `touchpoint` is None where no single specific touchpoint is labelled.
    """

    text: str
    dissatisfied: bool | None
    touchpoint: str | None


@dataclass(frozen=True)
class Binary:
    """Dissatisfaction metrics: confusion counts, then the figures derived from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, truth: Sequence[bool], predicted: Sequence[bool]) -> Binary:
        """Count agreements between labels and predictions."""
        pairs = Counter(zip(truth, predicted, strict=True))
        return cls(pairs[True, True], pairs[False, True], pairs[True, False], pairs[False, False])

    @staticmethod
    def _f1(tp: int, fp: int, fn: int) -> float:
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp else 0.0

    @property
    def f1(self) -> float:
        return self._f1(self.tp, self.fp, self.fn)

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(1, self.tp + self.fp + self.fn + self.tn)

    @property
    def macro_f1(self) -> float:
        """Mean F1 of the two classes: a model that says "dissatisfied" to all scores low."""
        return (self.f1 + self._f1(self.tn, self.fn, self.fp)) / 2


def held_out(text: str) -> bool:
    """Tell whether a comment belongs to the held-out part (stable across runs and machines)."""
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % HELD_OUT_SHARE == 0


# Sets whose satisfaction label is not usable (../shared/data/README.md: every MAMS sentence mixes
# praised and panned aspects): read for touchpoints only.
TOUCHPOINTS_ONLY = frozenset(("mams",))
# Labels that name no specific touchpoint: left out of touchpoint accuracy.
UNSPECIFIC = frozenset(("general", ""))


def touchpoint_name(label: str) -> str:
    """Turn a set's touchpoint label ("HR Support") into a touchpoint name ("hr_support")."""
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def load(path: Path) -> list[Labelled]:
    """Read a labelled CSV: the airline set (sentiment, negativereason) or the common format.

    The common format has the columns id, text, dissatisfied (1/0/empty), rating, touchpoint,
    source_label (see ../shared/data/README.md).
    """
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and "sentiment" in rows[0]:
        return [
            Labelled(
                row["text"],
                row["sentiment"] == "negative",
                REASON_TOUCHPOINT.get(row.get("negativereason") or ""),
            )
            for row in rows
        ]
    labelled = []
    for row in rows:
        flag = "" if path.stem in TOUCHPOINTS_ONLY else (row.get("dissatisfied") or "").strip()
        label = touchpoint_name(row.get("touchpoint") or "")
        labelled.append(
            Labelled(
                row["text"],
                None if flag == "" else flag == "1",
                None if label in UNSPECIFIC else label,
            )
        )
    return labelled


def tune_threshold(scores: Sequence[float], truth: Sequence[bool]) -> tuple[float, Binary]:
    """Find the threshold t (dissatisfied when score < t) with the best macro-F1 on this data."""
    candidates = sorted({round(s, 2) for s in scores} | {0.0})
    results = [(t, Binary.of(truth, [s < t for s in scores])) for t in candidates]
    return max(results, key=lambda r: r[1].macro_f1)


def descriptions_config(path: Path, base: RouterConfig) -> RouterConfig:
    """Load touchpoint descriptions to measure; the policy comes from `base`.

    A file is either a whole routing file or descriptions only (touchpoints and
    default_touchpoint), validated the same way, with the file, key and reason on error.
    """
    try:
        document = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), [("(file)", f"cannot read: {exc}")]) from None
    if isinstance(document, dict) and "route" in document:
        return load_config(path)
    if not isinstance(document, dict):
        raise ConfigError(str(path), [("(top)", "must map touchpoints and default_touchpoint")])
    whole = {
        "touchpoints": document.get("touchpoints"),
        "default_touchpoint": document.get("default_touchpoint"),
        "receivers": [{"name": "eval", "email": ["eval@example.com"]}],
        "route": {"receiver": "eval"},
    }
    # The file's order is kept: it breaks ties between touchpoints, as in a routing file.
    loaded = parse_config(yaml.safe_dump(whole, sort_keys=False), source=str(path))
    extra = sorted(set(document) - {"touchpoints", "default_touchpoint"})
    if extra:
        raise ConfigError(str(path), [(key, "unknown key") for key in extra])
    return replace(
        loaded,
        thresholds=base.thresholds,
        route=Route(loaded.route.receiver, (), False, (), "route"),
    )
