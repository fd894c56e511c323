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


def per_second(texts: list[str], config_path: Path) -> float:
    """Comments routed per CPU second, after a warm-up pass over the first hundred."""
    config = load_config(config_path)
    detector = detector_for(config)
    for text in texts[:100]:
        route_response(config, detector, {"comment": text})
    start = time.process_time()
    for text in texts:
        route_response(config, detector, {"comment": text})
    return len(texts) / max(time.process_time() - start, 1e-9)


def main() -> None:
    """Print comments/s on tweets and on the mixed sets, then the peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=Path("examples/airline/routes.yml"))
    args = parser.parse_args()
    texts = {name: [r.text for r in load(args.data_dir / f"{name}.csv")] for name in MIXED}
    for title, names in (("short (tweets)", SHORT), ("mixed dev sets", MIXED)):
        chosen = [t for name in names for t in texts[name]]
        rate = per_second(chosen, args.config)
        print(f"{title:<16} {len(chosen):>6} comments  {rate:,.0f} comments/s on one core")
    for name in MIXED:
        print(f"  {name:<12} {per_second(texts[name], args.config):,.0f} comments/s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
