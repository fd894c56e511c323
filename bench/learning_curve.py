"""Learning curves of the touchpoint model on labelled sets, for each descriptions file.

    PYTHONPATH=. python bench/learning_curve.py            # the sets of docs/quality.md
    PYTHONPATH=. python bench/learning_curve.py --corrections-only   # without confirmations

Each descriptions file is a routing file or a descriptions-only file (default_touchpoint and
touchpoints); the data is read from ../shared/data at run time only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

from services.router.evaluation import load
from services.router.learning import classes_of
from services.router.simulation import format_curve, simulate, tested_rows
from services.router.touchpoints import TouchpointDetector, TouchpointSpec

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SETS = {
    "airline_dev.csv": (
        "examples/airline/routes.yml",
        "examples/descriptions/airline-a.yml",
        "examples/descriptions/airline-b.yml",
        "examples/descriptions/airline-c.yml",
    ),
    "ittix.csv": (
        "examples/descriptions/it-helpdesk-a.yml",
        "examples/descriptions/it-helpdesk-b.yml",
        "examples/descriptions/it-helpdesk-c.yml",
    ),
}


def descriptions(path: Path) -> tuple[list[TouchpointSpec], str]:
    """Read the touchpoints and default touchpoint of a routing or descriptions file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = [
        TouchpointSpec(name, spec["description"], tuple(spec.get("keywords", ())))
        for name, spec in document["touchpoints"].items()
    ]
    return specs, document.get("default_touchpoint", "general")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--corrections", type=int, default=1000)
    parser.add_argument(
        "--corrections-only", action="store_true", help="drop the cases closed as routed"
    )
    args = parser.parse_args()
    for data, files in SETS.items():
        rows = load(args.data / data)
        for name in files:
            specs, default = descriptions(ROOT / name)
            classes = classes_of([s.name for s in specs], default)
            start = time.process_time()
            points = simulate(
                rows, TouchpointDetector(specs), classes, default, args.corrections,
                confirmations=not args.corrections_only,
            )  # fmt: skip
            title = f"{data} with {Path(name).name}"
            print(format_curve(title, points, tested_rows(rows, classes)))
            print(f"  ({time.process_time() - start:.0f} s CPU)\n", file=sys.stderr)


if __name__ == "__main__":
    main()
