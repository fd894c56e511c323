"""`cxloop eval`: the router's real decision path on labelled sets, beside both baselines.

For every data file it prints dissatisfaction macro-F1 (all rows and the held-out fifth that no
fitting ever reads) against TextBlob and VADER with thresholds tuned on airline_dev.csv, the
priority mix of the cases, and touchpoint accuracy for every descriptions file whose touchpoints
cover the set's labels. `--json` writes the same figures to a file.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from services.router.config import ConfigError, RouterConfig, load_config
from services.router.decision import detector_for, route_response
from services.router.evaluation import (
    BASELINE_THRESHOLDS,
    Binary,
    Labelled,
    baseline_vader,
    descriptions_config,
    held_out,
    load,
    tune_threshold,
)
from services.router.scoring import analyse, textblob_sentiment
from services.router.simulation import learning_curves


@dataclass
class Touchpoints:
    """Touchpoint accuracy of one descriptions source on one set."""

    source: str
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    held: Counter[tuple[str, str]] = field(default_factory=Counter)
    runner_up_right: int = 0

    @staticmethod
    def accuracy(pairs: Counter[tuple[str, str]]) -> float:
        total = sum(pairs.values())
        return sum(n for (t, g), n in pairs.items() if t == g) / max(total, 1)

    def to_dict(self) -> dict[str, Any]:
        total = sum(self.pairs.values())
        right = sum(n for (t, g), n in self.pairs.items() if t == g)
        per = {}
        for name in sorted({t for t, _ in self.pairs}):
            n = sum(v for (t, _), v in self.pairs.items() if t == name)
            per[name] = {"accuracy": round(self.pairs[name, name] / n, 3), "complaints": n}
        return {
            "descriptions": self.source,
            "complaints": total,
            "accuracy": round(right / max(total, 1), 3),
            "held_out_accuracy": round(self.accuracy(self.held), 3),
            "first_or_second": round((right + self.runner_up_right) / max(total, 1), 3),
            "per_touchpoint": per,
        }


@dataclass
class SetResult:
    """Everything measured on one data file."""

    name: str
    rows: int
    dissatisfaction: dict[str, Any] = field(default_factory=dict)
    priorities: dict[str, int] = field(default_factory=dict)
    touchpoints: list[Touchpoints] = field(default_factory=list)
    per_second: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "rows": self.rows,
            "dissatisfaction": self.dissatisfaction,
            "priorities": self.priorities,
            "touchpoints": [t.to_dict() for t in self.touchpoints],
            "comments_per_second": round(self.per_second),
        }


def _binary(b: Binary) -> dict[str, Any]:
    return {
        "macro_f1": round(b.macro_f1, 3),
        "accuracy": round(b.accuracy, 3),
        "precision": round(b.precision, 3),
        "recall": round(b.recall, 3),
        "confusion": {"tp": b.tp, "fp": b.fp, "fn": b.fn, "tn": b.tn},
    }


def _dissatisfaction(
    rows: Sequence[Labelled],
    ours: Sequence[bool],
    textblob: Sequence[float],
    vader: Sequence[float],
) -> dict[str, Any]:
    """cxloop against both baselines at airline-tuned thresholds, and at this part's own best."""
    truth = [bool(r.dissatisfied) for r in rows]
    tb = Binary.of(truth, [s < BASELINE_THRESHOLDS["textblob"] for s in textblob])
    va = Binary.of(truth, [s < BASELINE_THRESHOLDS["vader"] for s in vader])
    result = Binary.of(truth, list(ours))
    own_tb, own_va = tune_threshold(textblob, truth), tune_threshold(vader, truth)
    return {
        "comments": len(rows),
        "cxloop": _binary(result),
        "textblob": _binary(tb),
        "vader": _binary(va),
        "gain": round(result.macro_f1 - max(tb.macro_f1, va.macro_f1), 3),
        "textblob_own_threshold": [own_tb[0], round(own_tb[1].macro_f1, 3)],
        "vader_own_threshold": [own_va[0], round(own_va[1].macro_f1, 3)],
    }


def evaluate_set(path: Path, config: RouterConfig, sources: Sequence[RouterConfig]) -> SetResult:
    """Route every comment of one file as a text-only response and measure what was decided."""
    rows = load(path)
    result = SetResult(path.stem, len(rows))
    start = time.process_time()
    outcomes = [route_response(config, detector_for(config), {"comment": r.text}) for r in rows]
    result.per_second = len(rows) / max(time.process_time() - start, 1e-9)
    result.priorities = dict(Counter(str(o.priority) for o in outcomes if o.dissatisfied))
    judged = [(r, o) for r, o in zip(rows, outcomes, strict=True) if r.dissatisfied is not None]
    if judged:
        vader = baseline_vader()
        textblob = [textblob_sentiment(r.text)[0] for r, _ in judged]
        compound = [vader.polarity_scores(r.text)["compound"] for r, _ in judged]
        held = [held_out(r.text) for r, _ in judged]
        pick = lambda xs: [x for x, h in zip(xs, held, strict=True) if h]  # noqa: E731
        ours = [o.dissatisfied for _, o in judged]
        labelled = [r for r, _ in judged]
        result.dissatisfaction = {
            "all": _dissatisfaction(labelled, ours, textblob, compound),
            "held_out": _dissatisfaction(
                pick(labelled), pick(ours), pick(textblob), pick(compound)
            ),
        }
    labels = {r.touchpoint for r in rows if r.touchpoint}
    for source in sources:
        names = {t.name for t in source.touchpoints} | {source.default_touchpoint}
        if not labels or not labels <= names:
            continue
        measured = Touchpoints(source.source)
        for r in rows:
            if r.touchpoint is None:
                continue
            outcome = route_response(source, detector_for(source), {"comment": r.text})
            others = [m.name for m in outcome.touchpoints if m.name != outcome.touchpoint]
            measured.pairs[r.touchpoint, outcome.touchpoint] += 1
            if held_out(r.text):
                measured.held[r.touchpoint, outcome.touchpoint] += 1
            measured.runner_up_right += bool(others) and others[0] == r.touchpoint
        result.touchpoints.append(measured)
    return result


def _f1_row(part: str, d: dict[str, Any]) -> str:
    own_tb, own_va = d["textblob_own_threshold"], d["vader_own_threshold"]
    return (
        f"  {part:<9} {d['comments']:>6}  {d['cxloop']['macro_f1']:.3f}  "
        f"{d['textblob']['macro_f1']:.3f}  {d['vader']['macro_f1']:.3f}  {d['gain']:+.3f}   "
        f"({own_tb[1]:.3f} < {own_tb[0]:+.2f}, {own_va[1]:.3f} < {own_va[0]:+.2f})"
    )


def report(result: SetResult) -> str:
    """Render one set's figures as text."""
    lines = [f"== {result.name}: {result.rows} comments"]
    if result.dissatisfaction:
        lines += [
            "Dissatisfaction, macro-F1 (baselines at thresholds tuned on airline_dev.csv:",
            "TextBlob < +0.16, VADER < +0.36; in brackets each tuned on this very part)",
            "  part      rows    cxloop TextBl VADER  gain     (TextBlob own, VADER own)",
            _f1_row("all", result.dissatisfaction["all"]),
            _f1_row("held out", result.dissatisfaction["held_out"]),
        ]
        c = result.dissatisfaction["all"]["cxloop"]
        lines.append(
            f"  cxloop, all: accuracy {c['accuracy']:.3f}, dissatisfied P {c['precision']:.3f} "
            f"R {c['recall']:.3f}; TP {c['confusion']['tp']} FP {c['confusion']['fp']} "
            f"FN {c['confusion']['fn']} TN {c['confusion']['tn']}"
        )
    cases = sum(result.priorities.values())
    if cases:
        mix = ", ".join(
            f"{p.upper()} {n / cases:.0%}" for p, n in sorted(result.priorities.items())
        )
        lines.append(f"Priority of the {cases} cases (text only): {mix}")
    for t in result.touchpoints:
        d = t.to_dict()
        lines.append(
            f"Touchpoints with {d['descriptions']}: accuracy {d['accuracy']:.3f} on "
            f"{d['complaints']} complaints, held out {d['held_out_accuracy']:.3f}, "
            f"labelled touchpoint first or second {d['first_or_second']:.3f}"
        )
        lines.append(
            "  "
            + ", ".join(
                f"{n} {v['accuracy']:.2f} ({v['complaints']})"
                for n, v in d["per_touchpoint"].items()
            )
        )
    lines.append(f"Throughput: {result.per_second:,.0f} comments/s on one core (CPU time)")
    return "\n".join(lines) + "\n"


def summary(results: Sequence[SetResult]) -> str:
    """One line per set: the headline dissatisfaction figures side by side."""
    lines = [
        "== summary (held-out fifth of each set; macro-F1)",
        "  set          cxloop  better baseline  gain",
    ]
    gains = []
    for r in results:
        if not r.dissatisfaction:
            continue
        d = r.dissatisfaction["held_out"]
        best = max(d["textblob"]["macro_f1"], d["vader"]["macro_f1"])
        gains.append(d["gain"])
        lines.append(
            f"  {r.name:<12} {d['cxloop']['macro_f1']:.3f}   {best:.3f}            {d['gain']:+.3f}"
        )
    if gains:
        lines.append(f"  mean gain {sum(gains) / len(gains):+.3f}")
    return "\n".join(lines) + "\n"


def run(
    data: Sequence[Path],
    config_path: Path,
    descriptions: Sequence[Path],
    echo: Callable[[str], None],
) -> list[SetResult]:
    """Evaluate every data file with the routing file and every descriptions file."""
    config = load_config(config_path)
    sources = [config, *(descriptions_config(p, config) for p in descriptions)]
    analyse("Warm up the caches.")
    analyse("Bonjour, le service était lent.")  # loads the language profiles once
    results = []
    for path in data:
        results.append(evaluate_set(path, config, sources))
        echo(report(results[-1]))
    echo(summary(results))
    return results


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("eval")
@click.option("--data", type=_FILE, multiple=True, required=True, help="labelled CSV; repeatable")
@click.option(
    "--config",
    "config_path",
    type=_FILE,
    default=Path("examples/airline/routes.yml"),
    show_default=True,
)
@click.option(
    "--descriptions", type=_FILE, multiple=True, help="touchpoint descriptions; repeatable"
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the figures here",
)
@click.option(
    "--simulate-corrections",
    "corrections",
    type=click.IntRange(min=0),
    help=(
        "Replay development rows as cases (misrouted ones corrected, the others closed as "
        "routed) up to N corrections; print the learning curves instead."
    ),
)
def command(
    data: tuple[Path, ...],
    config_path: Path,
    descriptions: tuple[Path, ...],
    json_path: Path | None,
    corrections: int | None,
) -> None:
    """Measure dissatisfaction and touchpoint detection on labelled CSVs, beside baselines."""
    try:
        if corrections is not None:
            config = load_config(config_path)
            sources = [config, *(descriptions_config(p, config) for p in descriptions)]
            for curve in learning_curves(data, sources, corrections):
                click.echo(curve)
            return
        results = run(data, config_path, descriptions, click.echo)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if json_path:
        document = {"config": str(config_path), "sets": [r.to_dict() for r in results]}
        json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        click.echo(f"figures written to {json_path}")
