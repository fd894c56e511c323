"""`cxloop eval` measures on a labelled CSV and prints every figure the issue asks for."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from cxloop.cli import main
from services.router.evaluation import Binary, held_out, tune_threshold

AIRLINE = Path(__file__).resolve().parents[2] / "examples" / "airline" / "routes.yml"

ROWS = [
    ("@air my bag was lost and nobody answers the phone", "negative", "Lost Luggage"),
    ("@air flight delayed 4 hours, missed my connection", "negative", "Late Flight"),
    ("@air on hold for an hour, the agent hung up", "negative", "Customer Service Issue"),
    ("@air your website will not let me pay for my ticket", "negative", "Flight Booking Problems"),
    ("@air the flight attendant was rude to my mother", "negative", "Flight Attendant Complaints"),
    ("@air love the crew, thank you!", "positive", ""),
    ("@air what time does boarding start for flight 12?", "neutral", ""),
]


def test_macro_f1_punishes_calling_everyone_dissatisfied() -> None:
    truth = [True] * 6 + [False] * 4
    everyone = Binary.of(truth, [True] * 10)
    assert everyone.f1 > 0.7
    assert everyone.macro_f1 < 0.5
    perfect = Binary.of(truth, truth)
    assert perfect.macro_f1 == perfect.accuracy == 1.0


def test_threshold_tuning_finds_the_separating_value() -> None:
    scores, truth = [-0.6, -0.4, -0.2, 0.3, 0.5], [True, True, True, False, False]
    threshold, result = tune_threshold(scores, truth)
    assert -0.2 < threshold <= 0.3
    assert result.macro_f1 == 1.0


def test_held_out_split_is_stable() -> None:
    assert held_out("the same comment") == held_out("the same comment")
    assert 0 < sum(held_out(f"comment {i}") for i in range(1000)) < 400


def test_eval_command_prints_figures_beside_baselines(tmp_path: Path) -> None:
    data = tmp_path / "labelled.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "sentiment", "negativereason", "airline"])
        for i, (text, sentiment, reason) in enumerate(ROWS):
            writer.writerow([i, text, sentiment, reason, "Air"])
    result = CliRunner().invoke(main, ["eval", "--data", str(data), "--config", str(AIRLINE)])
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in ("macro-F1", "TextBlob polarity", "VADER compound", "confusion", "Throughput"):
        assert needle in out
    whole = out.split("== development")[0]
    assert "Touchpoints: accuracy 1.000 on 5 complaints" in whole
    assert "labelled touchpoint first or second detected: 1.000" in whole
    assert "held-out part" in out
