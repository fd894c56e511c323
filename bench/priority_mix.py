"""How priority spreads over the cases of the mixed dev sets, at the default severity rules.

Every labelled-dissatisfied comment of each set is routed through the router's real decision
path (`services.router.decision.route_response`) as a new user's survey tool would send it:
the text, plus the set's star rating (1-5) as CSAT where it has one. The airline tweets and the
SemEval sentence sets have no score, so their comments decide alone. Printed: per set and
overall, how many became cases and the P1 / P2 / P3 shares of those cases, and which severity
factors the P1 cases carried. No repeat complainers and no customer-value attributes: the
data has neither, so these figures are the floor a deployment adds to.

    .venv/bin/python bench/priority_mix.py [--data-dir ../shared/data] [--config routes.yml]
        [--all]   # route every row, not only the labelled-dissatisfied ones
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections import Counter
from pathlib import Path

from services.router.config import RouterConfig, load_config, parse_config
from services.router.decision import detector_for, route_response

SETS = ("airline_dev", "se14r", "tahotel", "se15h", "alexa")
# The defaults: no `priority:` section, one catch-all receiver.
DEFAULT_ROUTES = """
touchpoints: {general_feedback: {description: "Anything the customer tells us"}}
receivers: [{name: team, email: [team@example.com]}]
route: {receiver: team}
"""
_PART = re.compile(r"(.+?) \([+-]\d+\)(?:, |$)")


def responses(path: Path, everything: bool) -> list[dict[str, object]]:
    """Return the set's comments in the generic form, labelled-dissatisfied ones unless told."""
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if "sentiment" in row:  # the airline set labels sentiment, not dissatisfaction
                dissatisfied = row["sentiment"] == "negative"
            else:
                dissatisfied = row["dissatisfied"] == "1"
            if not (dissatisfied or everything):
                continue
            rating = (row.get("rating") or "").strip()
            scores = {"csat": int(rating)} if rating in ("1", "2", "3", "4", "5") else {}
            out.append({"response_id": row["id"], "comment": row["text"], "scores": scores})
    return out


def factors(reason: str) -> list[str]:
    """The factor names of a priority reason ('P1: NPS 2 detractor (+3), ...')."""
    said = reason.split(": ", 1)[1].rsplit(" = ", 1)[0]
    return [
        " ".join(re.sub(r"\(.*?\)|-?\d+(?:\.\d+)?", "", m.group(1).split(":")[0]).split())
        for m in _PART.finditer(said)
    ]


def main() -> None:
    """Route the sets and print the priority shares."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--config", type=Path, help="routing file (default: no priority section)")
    parser.add_argument("--all", action="store_true", help="route every row, not only dissatisfied")
    args = parser.parse_args()
    config: RouterConfig = (
        load_config(args.config) if args.config else parse_config(DEFAULT_ROUTES, source="defaults")
    )
    detector = detector_for(config)
    total: Counter[str] = Counter()
    p1_factors: Counter[str] = Counter()
    routed = 0
    started = time.perf_counter()
    print(f"{'set':<12} {'routed':>7} {'cases':>6} {'P1':>7} {'P2':>7} {'P3':>7}")
    for name in SETS:
        counts: Counter[str] = Counter()
        items = responses(args.data_dir / f"{name}.csv", args.all)
        for response in items:
            outcome = route_response(config, detector, response)
            if outcome.priority is None:
                continue
            counts[outcome.priority] += 1
            if outcome.priority == "p1":
                p1_factors.update(factors(outcome.reasons[-1]))
        routed += len(items)
        total.update(counts)
        print(_row(name, len(items), counts))
    elapsed = time.perf_counter() - started
    print(_row("overall", routed, total))
    print(f"\n{routed} comments in {elapsed:.1f}s ({routed / elapsed:,.0f}/s, one process)")
    print("factors of the P1 cases:", ", ".join(f"{k} {v}" for k, v in p1_factors.most_common()))


def _row(name: str, routed: int, counts: Counter[str]) -> str:
    cases = sum(counts.values()) or 1
    shares = " ".join(f"{counts[p] / cases:>7.1%}" for p in ("p1", "p2", "p3"))
    return f"{name:<12} {routed:>7} {sum(counts.values()):>6} {shares}"


if __name__ == "__main__":
    main()
