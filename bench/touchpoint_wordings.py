"""Touchpoint accuracy of the real decision path with each independent wording of the descriptions.

For every (data set, descriptions file) pair, builds a routing config from the descriptions file
alone (its touchpoints and default, one catch-all receiver), routes every labelled comment as a
text-only response through `services.router.decision.route_response`, and prints accuracy on the
development part and on the held-out part, overall and per touchpoint, then the gap between the
two wordings of each set (A and B) and the spread over all three (with C). Choose on the
development parts; read the held-out parts only to report.

    .venv/bin/python bench/touchpoint_wordings.py                 # every pair below
    .venv/bin/python bench/touchpoint_wordings.py --only airline  # pairs whose set or file match

Only aggregate figures are printed; no comment text leaves the data files.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from services.router.config import RouterConfig, parse_config
from services.router.decision import detector_for, route_response
from services.router.evaluation import Labelled, held_out, load

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"  # the repository beside ../shared, as in the docs
DESCRIPTIONS = ROOT / "examples" / "descriptions"
# Data set -> the descriptions files written for it: teams A and B (the two wordings), C (a
# third, written later the same way) and, for the airline, the detector author's.
PAIRS = {
    data: tuple(f"descriptions/{name}-{team}.yml" for team in "abc") + extra
    for data, name, extra in (
        ("airline_dev.csv", "airline", ("airline/routes.yml",)),
        ("se14r.csv", "restaurant-aspects", ()),
        ("mams.csv", "restaurant-staff", ()),
        ("ittix.csv", "it-helpdesk", ()),
    )
}


def one_owner_config(touchpoints: dict[str, Any], default: str, source: str) -> RouterConfig:
    """A routing config with these touchpoints and default, and one catch-all owner."""
    minimal = {
        "touchpoints": touchpoints,
        "default_touchpoint": default,
        "receivers": [{"name": "owner"}],
        "route": {"receiver": "owner"},
    }
    return parse_config(yaml.safe_dump(minimal, sort_keys=False), source=source)


def config_from(path: Path) -> RouterConfig:
    """Build a routing config from a file's touchpoints and default, with one catch-all owner."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    default = document.get("default_touchpoint", "general")
    return one_owner_config(document["touchpoints"], default, str(path))


def accuracy(pairs: list[tuple[str, str]]) -> tuple[float, Counter[str], Counter[str]]:
    """Return overall accuracy, then right and total counts per labelled touchpoint."""
    right, total = Counter[str](), Counter[str]()
    for truth, got in pairs:
        total[truth] += 1
        right[truth] += truth == got
    return sum(right.values()) / max(1, sum(total.values())), right, total


def measure(rows: list[Labelled], config: RouterConfig) -> tuple[dict[str, list], float]:
    """Route each labelled comment; return (truth, chosen) pairs per part, and comments/s."""
    detector = detector_for(config)
    parts: dict[str, list] = {"dev": [], "held-out": []}
    start = time.process_time()
    for row in rows:
        if row.touchpoint is None:
            continue
        chosen = route_response(config, detector, {"comment": row.text}).touchpoint
        parts["held-out" if held_out(row.text) else "dev"].append((row.touchpoint, chosen))
    routed = sum(len(p) for p in parts.values())
    return parts, routed / max(time.process_time() - start, 1e-9)


def main() -> None:
    """Print accuracy per (data set, wording), per part and per touchpoint, and the A/B gaps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--only", default="", help="run pairs whose set or file name has this")
    args = parser.parse_args()
    summary: list[tuple[str, str, float, float]] = []
    for data, files in PAIRS.items():
        if args.only and not any(args.only in name for name in (data, *files)):
            continue
        rows = load(args.data_dir / data)
        for name in files:
            parts, rate = measure(rows, config_from(ROOT / "examples" / name))
            (dev, dev_right, dev_total), (held, held_right, held_total) = (
                accuracy(parts["dev"]),
                accuracy(parts["held-out"]),
            )
            print(f"== {data} with {name} ({rate:,.0f} complaints/s incl. sentiment)")
            print(
                f"  {'all':<24} dev {dev:.3f} ({len(parts['dev'])})   "
                f"held-out {held:.3f} ({len(parts['held-out'])})"
            )
            for touchpoint in sorted(dev_total | held_total):
                d = dev_right[touchpoint] / max(1, dev_total[touchpoint])
                h = held_right[touchpoint] / max(1, held_total[touchpoint])
                print(
                    f"  {touchpoint:<24} dev {d:.3f} ({dev_total[touchpoint]})   "
                    f"held-out {h:.3f} ({held_total[touchpoint]})"
                )
            summary.append((data, name, dev, held))
    print("\n== summary (dev / held-out)")
    for data, name, dev, held in summary:
        print(f"  {data:<16} {name:<42} {dev:.3f} / {held:.3f}")
    print("\n== A/B gap (|a - b|, dev / held-out); spread over A, B and C (max - min)")
    by_set: dict[str, dict[str, tuple[float, float]]] = {}
    for data, name, dev, held in summary:
        if name.endswith(("-a.yml", "-b.yml", "-c.yml")):
            by_set.setdefault(data, {})[name[-5]] = (dev, held)
    for data, found in by_set.items():
        if {"a", "b"} <= set(found):
            (da, ha), (db, hb) = found["a"], found["b"]
            devs, helds = [d for d, _ in found.values()], [h for _, h in found.values()]
            print(
                f"  {data:<16} {abs(da - db):.3f} / {abs(ha - hb):.3f}   "
                f"weaker: {min(da, db):.3f} / {min(ha, hb):.3f}   "
                f"spread over {len(found)}: {max(devs) - min(devs):.3f} / "
                f"{max(helds) - min(helds):.3f}"
            )


if __name__ == "__main__":
    main()
