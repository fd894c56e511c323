"""Replay labelled rows as a deployment's cases and measure what the router learns.

The development rows (those `cxloop eval` does not hold out) that carry a touchpoint label, in
an order fixed by a hash of their text, are cases arriving one after another, routed by the
descriptions. As in a deployment, a case the descriptions misrouted is corrected, and one they
routed right is closed as routed (a confirmation). At each checkpoint (a number of corrections)
the same training and gate as the background task run on the cases so far, and touchpoint
accuracy is measured on the held-out rows, which no example ever comes from. The cases keep
being routed by descriptions alone after a model is switched on: a simplification.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.router.config import RouterConfig
from services.router.decision import detector_for
from services.router.evaluation import Labelled, held_out, load
from services.router.gate import accuracy, train_and_judge
from services.router.learning import Detector, Example, blend, classes_of
from services.router.touchpoints import TouchpointMatch

CHECKPOINTS = (0, 50, 200, 1000)


@dataclass(frozen=True)
class CurvePoint:
    """Accuracy on the held-out rows after `corrections` corrections, and the gate's verdict."""

    corrections: int
    confirmations: int
    trained_on: int
    held_back: int
    gate_descriptions: float | None
    gate_blend: float | None
    switched_on: bool
    descriptions: float
    blend: float  # the candidate, switched on or not
    in_use: float  # what the router would use: the blend if switched on, else descriptions


class _Remembered:
    """A detector that answers each text once: the replay asks about the same rows many times."""

    def __init__(self, detector: Detector) -> None:
        self.detect = functools.lru_cache(maxsize=None)(detector.detect)


def _stream_order(text: str) -> str:
    return hashlib.sha1(f"stream:{text}".encode()).hexdigest()


def simulate(
    rows: Sequence[Labelled], detector: Detector, classes: Sequence[str], default: str,
    corrections: int, checkpoints: Sequence[int] = CHECKPOINTS, confirmations: bool = True,
) -> list[CurvePoint]:  # fmt: skip
    """Return the learning curve at each checkpoint up to `corrections` (and at it).

    Without `confirmations` the cases closed as routed are dropped: what a deployment that
    learnt from its corrections alone would see.
    """
    known = set(classes)
    labelled = [r for r in rows if r.touchpoint in known]
    remembered = _Remembered(detector)

    def alone(text: str) -> str:
        found: list[TouchpointMatch] = remembered.detect(text)
        return found[0].name if found else default

    stream = [
        Example(r.text, str(r.touchpoint), confirmed=alone(r.text) == r.touchpoint)
        for r in sorted(labelled, key=lambda r: _stream_order(r.text))
        if not held_out(r.text)
    ]
    if not confirmations:
        stream = [e for e in stream if not e.confirmed]
    tests = [Example(r.text, str(r.touchpoint)) for r in labelled if held_out(r.text)]
    descriptions = accuracy(tests, alone)
    points = [CurvePoint(0, 0, 0, 0, None, None, False, descriptions, descriptions, descriptions)]
    # Where the stream holds its nth correction: each checkpoint's cases end there.
    ends = [i + 1 for i, e in enumerate(stream) if not e.confirmed]
    wanted = sorted({n for n in (*checkpoints, corrections) if 0 < n <= corrections})
    for n in wanted:
        cases = stream[: ends[n - 1]] if n <= len(ends) else stream
        verdict = train_and_judge(cases, remembered, classes, default)

        def blended(text: str, model=verdict.model) -> str:  # type: ignore[no-untyped-def]
            return blend(model, text, remembered.detect(text), default)[0].name

        learnt = accuracy(tests, blended)
        m = verdict.metrics
        points.append(
            CurvePoint(
                m["corrections"], m["confirmations"], m["trained_on"], m["held_back"],
                m["descriptions_accuracy"], m["blend_accuracy"], verdict.activate,
                descriptions, learnt, learnt if verdict.activate else descriptions,
            )
        )  # fmt: skip
    return points


def format_curve(title: str, points: Sequence[CurvePoint], tested: int) -> str:
    """Render the learning curve as the table `cxloop eval --simulate-corrections` prints."""
    lines = [
        f"== learning curve: {title} (accuracy on {tested} held-out rows)",
        f"  {'corrections':>11} {'confirmed':>9} {'trained':>7} {'judged':>6}  {'gate: descr':>11} "
        f"{'blend':>6} {'on?':>4}  {'descriptions':>12} {'blend':>6} {'gain':>6} {'in use':>6}",
    ]
    for p in points:
        on = "yes" if p.switched_on else "no"
        gate = (
            f"{p.gate_descriptions:>11.3f} {p.gate_blend:>6.3f} {on:>4}"
            if p.gate_descriptions is not None and p.gate_blend is not None
            else f"{'-':>11} {'-':>6} {'-':>4}"
        )
        lines.append(
            f"  {p.corrections:>11} {p.confirmations:>9} {p.trained_on:>7} {p.held_back:>6}  "
            f"{gate}  "
            f"{p.descriptions:>12.3f} {p.blend:>6.3f} {p.blend - p.descriptions:>+6.3f} "
            f"{p.in_use:>6.3f}"
        )
    return "\n".join(lines)


def tested_rows(rows: Sequence[Labelled], classes: Sequence[str]) -> int:
    """Count the held-out rows the curve is measured on."""
    known = set(classes)
    return sum(1 for r in rows if r.touchpoint in known and held_out(r.text))


def learning_curves(
    data: Sequence[Path], sources: Sequence[RouterConfig], corrections: int
) -> Iterator[str]:
    """Render the curve of every data file with every source whose touchpoints it labels."""
    for path in data:
        rows = load(path)
        for config in sources:
            classes = classes_of([t.name for t in config.touchpoints], config.default_touchpoint)
            tested = tested_rows(rows, classes)
            if not tested:
                continue
            detector = detector_for(config)
            points = simulate(rows, detector, classes, config.default_touchpoint, corrections)
            yield format_curve(f"{path.name} with {config.source}", points, tested)
