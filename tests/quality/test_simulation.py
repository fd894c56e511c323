"""`cxloop eval --simulate-corrections`: the learning curve from replayed labelled rows."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from cxloop.cli import main
from services.router.evaluation import Labelled, held_out
from services.router.learning import classes_of
from services.router.simulation import simulate
from services.router.touchpoints import TouchpointDetector, TouchpointSpec

AIRLINE = Path(__file__).resolve().parents[2] / "examples" / "airline" / "routes.yml"
SPECS = [
    TouchpointSpec("baggage", "Checked bags that are lost or damaged"),
    TouchpointSpec("cabin_crew", "Flight attendants and how they treat passengers"),
]
CLASSES = classes_of(["baggage", "cabin_crew"], "general")


def rows(n: int) -> list[Labelled]:
    """Complaints about SkyCart (the bag delivery; no description names it) and about crew."""
    made = []
    for i in range(n):
        if i % 2:
            made.append(Labelled(f"SkyCart took forever again, trip {i}", True, "baggage"))
        else:
            made.append(Labelled(f"Rude flight attendant on trip {i}", True, "cabin_crew"))
    return made


def test_the_curve_rises_once_corrections_name_what_descriptions_miss() -> None:
    data = rows(600)
    points = simulate(data, TouchpointDetector(SPECS), CLASSES, "general", 200)
    assert [p.corrections for p in points] == [0, 50, 200]
    start, end = points[0], points[-1]
    assert start.blend == start.in_use == start.descriptions < 0.75
    assert end.switched_on and end.in_use == end.blend == 1.0
    # SkyCart complaints are misrouted and corrected; the crew's are routed right and confirmed,
    # about as many as arrived between the corrections.
    assert 180 <= end.confirmations <= 220
    assert end.trained_on + end.held_back == 200 + end.confirmations


def test_replayed_corrections_never_come_from_the_held_out_rows() -> None:
    data = rows(60)
    points = simulate(data, TouchpointDetector(SPECS), CLASSES, "general", 1000)
    developed = sum(1 for r in data if not held_out(r.text))
    misrouted = sum(1 for r in data if not held_out(r.text) and r.touchpoint == "baggage")
    assert (points[-1].corrections, points[-1].confirmations) == (misrouted, developed - misrouted)
    assert points[-1].trained_on + points[-1].held_back == developed


def test_eval_prints_the_learning_curve(tmp_path: Path) -> None:
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "dissatisfied", "rating", "touchpoint", "source_label"])
        for i, row in enumerate(rows(120)):
            writer.writerow([i, row.text, 1, "", row.touchpoint, ""])
    result = CliRunner().invoke(
        main,
        ["eval", "--data", str(path), "--config", str(AIRLINE), "--simulate-corrections", "50"],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("== learning curve: ")
    assert [line.split()[0] for line in lines[2:]] == ["0", "50"]


def test_corrections_alone_are_replayed_without_the_cases_closed_as_routed() -> None:
    points = simulate(
        rows(600), TouchpointDetector(SPECS), CLASSES, "general", 200, confirmations=False
    )
    end = points[-1]
    assert (end.corrections, end.confirmations) == (200, 0)
    assert end.gate_descriptions == 0.0  # every held-back example is a mistake of descriptions
    assert not end.switched_on and end.in_use == end.descriptions
