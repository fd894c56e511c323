"""Fit the response-level sentiment model (services/router/data/sentiment.json) on a mix of domains.

The model is a logistic regression without intercept (a comment that signals nothing scores
exactly 0) over the length-invariant summaries of `services.router.reading`. It is fitted on the
labelled sets of ../shared/data named below, never on their held-out fifth (SHA-1 of the text,
as in `cxloop eval`), with every domain weighing the same and, within a domain, both classes
weighing the same, so that neither the airline tweets' size nor any set's class balance decides.
Only the weights are written; no comment text leaves the data files.

    .venv/bin/python bench/train_sentiment.py --data-dir ../shared/data          # fit and write
    .venv/bin/python bench/train_sentiment.py --data-dir ../shared/data --lodo   # also report
        leave-one-domain-out: fit on the other domains, score the one left out

Reproducible: the same files give the same weights (Newton's method, no randomness).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from services.router import reading
from services.router.evaluation import (
    BASELINE_THRESHOLDS,
    Binary,
    baseline_vader,
    held_out,
    load,
)
from services.router.scoring import measure_sentence, normalise, textblob_sentiment

OUT = Path(__file__).resolve().parents[1] / "services/router/data/sentiment.json"
# One file per domain: airline tweets, restaurant and hotel review sentences, long hotel reviews,
# short product reviews. mams has no usable satisfaction label, ittix none at all.
SETS = ("airline_dev", "se14r", "tahotel", "se15h", "alexa")
PENALTY = 1.0
# Sample weights sum to this per domain, so the penalty means the same whatever the set sizes.
DOMAIN_WEIGHT = 1000.0
POLARITY_BELOW = -0.05  # the policy's default threshold


def summaries(text: str) -> list[float]:
    """The model's inputs for one comment, in `reading.SUMMARIES` order (as the router reads)."""
    sentences = reading.split_sentences(normalise(text))
    found = reading.read(sentences, measure_sentence).summaries
    return [found[name] for name in reading.SUMMARIES]


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, penalty: float) -> np.ndarray:
    """Weighted L2 logistic regression without intercept, by Newton's method."""
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (weight * (p - y)) + penalty * w
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + penalty * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def balanced(y: np.ndarray) -> np.ndarray:
    """Weights giving each class half of DOMAIN_WEIGHT within one domain."""
    positives = max(float(y.sum()), 1.0)
    negatives = max(float((1 - y).sum()), 1.0)
    return np.where(y == 1, 0.5 / positives, 0.5 / negatives) * DOMAIN_WEIGHT


def domain(path: Path) -> dict[str, np.ndarray]:
    """Read one set: inputs, labels, held-out flags and both baselines' raw scores."""
    rows = [r for r in load(path) if r.dissatisfied is not None]
    vader = baseline_vader()
    return {
        "x": np.array([summaries(r.text) for r in rows]),
        "y": np.array([float(bool(r.dissatisfied)) for r in rows]),
        "held": np.array([held_out(r.text) for r in rows]),
        "textblob": np.array([textblob_sentiment(r.text)[0] for r in rows]),
        "vader": np.array([vader.polarity_scores(r.text)["compound"] for r in rows]),
    }


def train(domains: dict[str, dict[str, np.ndarray]], names: list[str]) -> np.ndarray:
    """Fit on the non-held-out rows of the named domains."""
    xs, ys, ws = [], [], []
    for name in names:
        d = domains[name]
        keep = ~d["held"]
        xs.append(d["x"][keep])
        ys.append(d["y"][keep])
        ws.append(balanced(d["y"][keep]))
    return fit(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), PENALTY)


def decide(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Dissatisfied when the polarity is under the policy's default threshold."""
    return -np.tanh((x @ w) / 2) < POLARITY_BELOW


def lodo(domains: dict[str, dict[str, np.ndarray]]) -> list[str]:
    """Leave one domain out: fit on the others, score all of the one left out."""
    lines = [
        "| left out | rows | cxloop | TextBlob < +0.16 | VADER < +0.36 | gain over better |",
        "|---|---|---|---|---|---|",
    ]
    gains = []
    for name, d in domains.items():
        w = train(domains, [n for n in domains if n != name])
        truth = [bool(v) for v in d["y"]]
        ours = Binary.of(truth, list(decide(d["x"], w))).macro_f1
        tb = Binary.of(truth, list(d["textblob"] < BASELINE_THRESHOLDS["textblob"])).macro_f1
        va = Binary.of(truth, list(d["vader"] < BASELINE_THRESHOLDS["vader"])).macro_f1
        gains.append(ours - max(tb, va))
        lines.append(
            f"| {name} | {len(truth)} | {ours:.3f} | {tb:.3f} | {va:.3f} | {gains[-1]:+.3f} |"
        )
    lines.append(f"| mean gain | | | | | {np.mean(gains):+.4f} |")
    return lines


def main() -> None:
    """Fit on every domain's tuning part, write the weights; optionally report LODO."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--lodo", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    domains = {name: domain(args.data_dir / f"{name}.csv") for name in SETS}
    if args.lodo:
        print("\n".join(lodo(domains)))
    w = train(domains, list(domains))
    document = {
        "about": "log-odds of dissatisfaction from reading.SUMMARIES; bench/train_sentiment.py",
        "trained_on": {name: int((~d["held"]).sum()) for name, d in domains.items()},
        "weights": {n: round(float(v), 4) for n, v in zip(reading.SUMMARIES, w, strict=True)},
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
