"""How fast the whole decision path runs, and how much memory a router process needs for it.

Routes every comment of the named sets as a text-only response through
`services.router.decision.route_response` (language, sentence-by-sentence sentiment, policy,
touchpoints, routing tree), timing CPU time of this one process, then reports its peak resident
memory. Run it by hand on a quiet machine; the figures go to docs/quality.md.

    .venv/bin/python bench/decision_speed.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from services.router.config import load_config
from services.router.decision import detector_for, route_response
from services.router.evaluation import load

SHORT = ("airline_dev",)  # tweet-length comments
MIXED = ("airline_dev", "se14r", "tahotel", "se15h", "alexa", "mams", "ittix")


def per_second(texts: list[str], config_path: Path) -> tuple[float, float]:
    """Comments routed per CPU second: a first pass (cold caches), then the steady state.

    The first pass pays what a worker pays once: stems not yet cached, language models loaded
    on first use. A long-running worker routes at the second rate.
    """
    config = load_config(config_path)
    detector = detector_for(config)
    rates = []
    for _ in range(2):
        start = time.process_time()
        for text in texts:
            route_response(config, detector, {"comment": text})
        rates.append(len(texts) / max(time.process_time() - start, 1e-9))
    return rates[0], rates[1]


def main() -> None:
    """Print comments/s on tweets and on the mixed sets, then the peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=Path("examples/airline/routes.yml"))
    args = parser.parse_args()
    texts = {name: [r.text for r in load(args.data_dir / f"{name}.csv")] for name in MIXED}
    print("comments/s on one core (CPU time): first pass, then steady state")
    for title, names in (("short (tweets)", SHORT), ("mixed dev sets", MIXED)):
        chosen = [t for name in names for t in texts[name]]
        first, steady = per_second(chosen, args.config)
        print(f"{title:<16} {len(chosen):>6} comments  {first:,.0f}  {steady:,.0f}")
    for name in MIXED:
        first, steady = per_second(texts[name], args.config)
        print(f"  {name:<12} {len(texts[name]):>6} comments  {first:,.0f}  {steady:,.0f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
