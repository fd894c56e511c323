"""Measure dissatisfaction and touchpoint detection on labelled comments, against baselines."""

from __future__ import annotations

import csv
import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from services.router.config import RouterConfig, load_config
from services.router.decision import detector_for, route_response
from services.router.scoring import analyse

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
HELD_OUT_SHARE = 5  # one comment in five, chosen by a hash of its text, is never looked at


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
        flag = (row.get("dissatisfied") or "").strip()
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


def decide_comment(text: str, config: RouterConfig) -> tuple[bool, str, str | None]:
    """Route a text-only response through the router's real decision path (as `routes test`).

    Returns whether the customer is dissatisfied, the case's touchpoint and the runner-up.
    """
    outcome = route_response(config, detector_for(config), {"comment": text})
    others = [m.name for m in outcome.touchpoints if m.name != outcome.touchpoint]
    return outcome.dissatisfied, outcome.touchpoint, others[0] if others else None


@dataclass(frozen=True)
class Evaluation:
    """Everything `cxloop eval` prints for one part of the data."""

    ours: Binary
    textblob: tuple[float, Binary]
    vader: tuple[float, Binary]
    touchpoints: Counter[tuple[str, str | None]]
    runner_up_right: int
    per_second: float


def evaluate(rows: Sequence[Labelled], config: RouterConfig) -> Evaluation:
    """Score every comment with our path and with both baselines."""
    truth = [r.dissatisfied for r in rows]
    start = time.process_time()
    decided = [decide_comment(r.text, config) for r in rows]
    per_second = len(rows) / max(time.process_time() - start, 1e-9)
    vader = SentimentIntensityAnalyzer()
    pairs = list(zip(rows, decided, strict=True))
    touchpoints = Counter((r.touchpoint, p) for r, (_, p, _) in pairs if r.touchpoint is not None)
    return Evaluation(
        Binary.of(truth, [d for d, _, _ in decided]),
        tune_threshold([TextBlob(r.text).sentiment.polarity for r in rows], truth),
        tune_threshold([vader.polarity_scores(r.text)["compound"] for r in rows], truth),
        touchpoints,
        sum(1 for r, (_, _, second) in pairs if r.touchpoint and r.touchpoint == second),
        per_second,
    )


def _binary_lines(name: str, b: Binary) -> list[str]:
    return [
        f"  {name:<34} macro-F1 {b.macro_f1:.3f}  accuracy {b.accuracy:.3f}  "
        f"dissatisfied P {b.precision:.3f} R {b.recall:.3f} F1 {b.f1:.3f}",
        f"  {'':<34} confusion: TP {b.tp}  FP {b.fp}  FN {b.fn}  TN {b.tn}",
    ]


def report(title: str, e: Evaluation) -> str:
    """Render one part's figures as the text `cxloop eval` prints."""
    lines = [f"== {title}: {e.ours.tp + e.ours.fp + e.ours.fn + e.ours.tn} comments", ""]
    lines.append("Dissatisfaction (macro-F1 over dissatisfied / not is the headline)")
    lines += _binary_lines("cxloop (route_response)", e.ours)
    lines += _binary_lines(f"TextBlob polarity < {e.textblob[0]:+.2f} (tuned)", e.textblob[1])
    lines += _binary_lines(f"VADER compound < {e.vader[0]:+.2f} (tuned)", e.vader[1])
    gain = e.ours.macro_f1 - max(e.textblob[1].macro_f1, e.vader[1].macro_f1)
    lines.append(f"  gain over the better tuned baseline: {gain:+.3f} macro-F1")
    total = sum(e.touchpoints.values())
    right = sum(n for (truth, got), n in e.touchpoints.items() if truth == got)
    lines += ["", f"Touchpoints: accuracy {right / max(total, 1):.3f} on {total} complaints"]
    top_two = (right + e.runner_up_right) / max(total, 1)
    lines.append(f"  (labelled touchpoint first or second detected: {top_two:.3f})")
    for name in sorted({t for t, _ in e.touchpoints}):
        n = sum(v for (t, _), v in e.touchpoints.items() if t == name)
        ok = e.touchpoints[name, name]
        top = Counter({g: v for (t, g), v in e.touchpoints.items() if t == name and g != name})
        wrong = ", ".join(f"{g} {v}" for g, v in top.most_common(2))
        lines.append(f"  {name:<18} {ok / n:.3f}  ({ok}/{n}; most often instead: {wrong})")
    lines += ["", f"Throughput: {e.per_second:,.0f} comments/s on one core (CPU time)", ""]
    return "\n".join(lines)


def run(data: Path, config_path: Path, echo: Callable[[str], None]) -> None:
    """Evaluate the whole file, then its development and held-out parts."""
    config = load_config(config_path)
    rows = load(data)
    analyse("Warm up the caches.")
    analyse("Bonjour, le service était lent.")  # loads the language profiles once
    for title, part in (
        ("all", rows),
        ("development part (used for tuning)", [r for r in rows if not held_out(r.text)]),
        ("held-out part (never used for tuning)", [r for r in rows if held_out(r.text)]),
    ):
        echo(report(title, evaluate(part, config)))


@click.command("eval")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("examples/airline/routes.yml"),
    show_default=True,
)
@click.option(
    "--simulate-corrections",
    "corrections",
    type=click.IntRange(min=0),
    help="Replay N development rows as corrections; print the learning curve instead.",
)
def command(data: Path, config_path: Path, corrections: int | None) -> None:
    """Measure dissatisfaction and touchpoint detection on a labelled CSV, beside baselines."""
    if corrections is not None:
        from services.router.simulation import learning_curve  # it reads this module's rows

        click.echo(learning_curve(load(data), load_config(config_path), corrections))
        return
    run(data, config_path, click.echo)
