"""Fit the sentiment calibration (services/router/data/calibration.json) on the tuning part only.

A logistic regression without intercept over the interpretable signals of
services.router.scoring.features, fitted by Newton's method with a small L2 penalty. Only the
nine weights are written; no comment text leaves the data file. The held-out part (one comment
in five by SHA-1 of its text, as in `cxloop eval`) is never read here.

    .venv/bin/python bench/train_calibration.py --data ../shared/data/airline_dev.csv
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from services.router.evaluation import held_out, load
from services.router.scoring import features

OUT = Path(__file__).resolve().parents[1] / "services/router/data/calibration.json"


def fit(x: np.ndarray, y: np.ndarray, penalty: float, rounds: int = 50) -> np.ndarray:
    """Return logistic-regression weights (no intercept) by Newton's method with L2 penalty."""
    w = np.zeros(x.shape[1])
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def main() -> None:
    """Fit on the tuning part and write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--penalty", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    rows = [r for r in load(args.data) if not held_out(r.text)]
    signals = [features(r.text)[0] for r in rows]
    names = list(signals[0])
    x = np.array([[s[n] for n in names] for s in signals])
    y = np.array([r.dissatisfied for r in rows], dtype=float)
    w = fit(x, y, args.penalty)
    weights = {n: round(float(v), 4) for n, v in zip(names, w, strict=True)}
    document = {
        "about": "log-odds weights of dissatisfaction; see bench/train_calibration.py",
        "trained_on": f"{args.data.name}, tuning part ({len(rows)} comments)",
        "weights": weights,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
