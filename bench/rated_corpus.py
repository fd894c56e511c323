"""Score the router's dissatisfaction decision on rated customer feedback, domain by domain.

Reads JSON Lines of {"domain", "text", "rating", "scale"} (scale "5", "10" or "nps"), as written
for the checks in docs/quality.md ("Reviews as reviewers write them", "Three more corpora"): a
text is dissatisfied at 1-2 of 5, 1-4 of 10 or NPS 0-6, satisfied at 4-5, 7-10 or 9-10, and left
out in between. Prints macro-F1 per domain for cxloop (the real decision path, text only) and
for TextBlob and VADER at the thresholds tuned on airline_dev, and the mean gain per domain over
the better of the two. `--errors` lists the texts cxloop gets wrong.

    .venv/bin/python -m bench.rated_corpus /path/to/corpus.jsonl [--errors]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from textblob import TextBlob

from services.router.config import load_config
from services.router.decision import detector_for, route_response
from services.router.evaluation import BASELINE_THRESHOLDS, Binary, baseline_vader

ROOT = Path(__file__).resolve().parent.parent
ROUTES = ROOT / "examples" / "retailer" / "routes.yml"


def dissatisfied(rating: float, scale: str) -> bool | None:
    """The label a rating gives (None: a middle rating, left out)."""
    low, high = {"nps": (6, 9), "10": (4, 7)}.get(scale, (2, 4))
    return True if rating <= low else False if rating >= high else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, nargs="+")
    parser.add_argument("--errors", action="store_true", help="list the texts cxloop gets wrong")
    args = parser.parse_args(argv)
    config = load_config(ROUTES)
    detector = detector_for(config)
    by_domain: dict[str, list[tuple[bool, bool, bool, bool, str]]] = defaultdict(list)
    for path in args.corpus:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            truth = dissatisfied(float(row["rating"]), str(row["scale"]))
            if truth is None:
                continue
            text = row["text"]
            outcome = route_response(config, detector, {"comment": text})
            textblob = TextBlob(text).sentiment.polarity < BASELINE_THRESHOLDS["textblob"]
            compound = baseline_vader().polarity_scores(text)["compound"]
            vader = compound < BASELINE_THRESHOLDS["vader"]
            by_domain[row["domain"]].append((truth, outcome.dissatisfied, textblob, vader, text))
    print(f"{'domain':14} {'n':>4} {'cxloop':>7} {'TextBlob':>9} {'VADER':>6} {'gain':>7}")
    gains, means = [], [0.0, 0.0, 0.0]
    for domain, rows in sorted(by_domain.items()):
        truth = [r[0] for r in rows]
        scores = [Binary.of(truth, [r[i] for r in rows]).macro_f1 for i in (1, 2, 3)]
        gains.append(scores[0] - max(scores[1:]))
        means = [m + s / len(by_domain) for m, s in zip(means, scores, strict=True)]
        print(f"{domain:14} {len(rows):4} {scores[0]:7.3f} {scores[1]:9.3f} {scores[2]:6.3f} "
              f"{gains[-1]:+7.3f}")  # fmt: skip
    under, gain = sum(g < 0 for g in gains), sum(gains) / max(1, len(gains))
    print(f"{'mean':14} {'':4} {means[0]:7.3f} {means[1]:9.3f} {means[2]:6.3f} {gain:+7.3f}"
          f"   domains under the better: {under}")  # fmt: skip
    if args.errors:
        for domain, rows in sorted(by_domain.items()):
            for truth_, said, _, _, text in rows:
                if truth_ != said:
                    label = "dissatisfied" if truth_ else "satisfied"
                    print(f"\n[{domain}] labelled {label}: {text}")


if __name__ == "__main__":
    main()
