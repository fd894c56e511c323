"""Touchpoint accuracy on written complaints, with descriptions written apart from them.

Reads complaints as JSON Lines of {"business", "touchpoint", "text"} and descriptions as JSON
{wording: {business: {touchpoint: description}}}, as made for the checks in docs/quality.md
("Four new domains", "Four more domains"). For each business and wording it builds a routing
config from the descriptions alone (the default touchpoint given with `--default`, else the
first), routes every complaint as a text-only response through the real decision path, and prints
accuracy beside naive overlap of the descriptions' words (most shared words wins, ties to the
default).

    .venv/bin/python -m bench.touchpoint_corpus COMPLAINTS.jsonl DESCRIPTIONS.json \
        [--default business=touchpoint ...] [--errors]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from bench.touchpoint_wordings import one_owner_config
from services.router.config import RouterConfig
from services.router.decision import detector_for, route_response

_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    ("a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from",
     "is", "are", "was", "were", "be", "it", "its", "this", "that", "my", "our", "your", "their",
     "as", "not", "no", "but", "if", "so", "too", "very")
)  # fmt: skip


def config_for(touchpoints: dict[str, str], default: str) -> RouterConfig:
    """A routing config with these descriptions, one catch-all owner."""
    specs = {key: {"description": text} for key, text in touchpoints.items()}
    return one_owner_config(specs, default, "bench")


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def naive(text: str, touchpoints: dict[str, str], default: str) -> str:
    """The touchpoint whose description shares most words with the text (ties: the default)."""
    said = words(text)
    overlaps = {key: len(said & words(desc)) for key, desc in touchpoints.items()}
    best = max(overlaps.values())
    winners = [key for key, n in overlaps.items() if n == best]
    return default if best == 0 or default in winners or len(winners) > 1 else winners[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("complaints", type=Path)
    parser.add_argument("descriptions", type=Path)
    parser.add_argument("--default", action="append", default=[], help="business=touchpoint")
    parser.add_argument("--errors", action="store_true", help="list the complaints missed")
    args = parser.parse_args(argv)
    defaults = dict(item.split("=", 1) for item in args.default)
    complaints: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in args.complaints.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        complaints[row["business"]].append((row["touchpoint"], row["text"]))
    wordings = json.loads(args.descriptions.read_text(encoding="utf-8"))
    print(f"{'business':20} {'wording':8} {'n':>4} {'cxloop':>7} {'naive':>6}")
    means: dict[str, list[float]] = defaultdict(list)
    for business, rows in sorted(complaints.items()):
        for wording, by_business in sorted(wordings.items()):
            touchpoints = by_business[business]
            default = defaults.get(business, next(iter(touchpoints)))
            config = config_for(touchpoints, default)
            detector = detector_for(config)
            right = overlap = 0
            for truth, text in rows:
                got = route_response(config, detector, {"comment": text}).touchpoint
                right += got == truth
                overlap += naive(text, touchpoints, default) == truth
                if args.errors and got != truth:
                    print(f"  [{business}/{wording}] {truth} -> {got}: {text}")
            accuracy, baseline = right / len(rows), overlap / len(rows)
            means[wording] += [accuracy, baseline]
            print(f"{business:20} {wording:8} {len(rows):4} {accuracy:7.3f} {baseline:6.3f}")
    for wording, figures in sorted(means.items()):
        ours, theirs = figures[0::2], figures[1::2]
        print(f"{'mean':20} {wording:8} {'':4} {sum(ours) / len(ours):7.3f} "
              f"{sum(theirs) / len(theirs):6.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
