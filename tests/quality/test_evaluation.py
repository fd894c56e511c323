"""`cxloop eval` measures on a labelled CSV and prints every figure the issue asks for."""

from __future__ import annotations

import csv
import json
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


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_eval_command_prints_figures_beside_baselines(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "labelled.csv",
        ["id", "text", "sentiment", "negativereason", "airline"],
        [[i, text, sentiment, reason, "Air"] for i, (text, sentiment, reason) in enumerate(ROWS)],
    )
    result = CliRunner().invoke(main, ["eval", "--data", str(data), "--config", str(AIRLINE)])
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in ("macro-F1", "TextBlob < +0.16", "VADER < +0.36", "held out", "Throughput"):
        assert needle in out
    assert f"Touchpoints with {AIRLINE}: accuracy 1.000 on 5 complaints" in out
    assert "labelled touchpoint first or second 1.000" in out
    assert "== summary" in out


REVIEWS = [
    ("The soup was cold and bland.", 1, "food"),
    ("Our waiter ignored us for half an hour.", 1, "service"),
    ("Far too expensive for what you get.", 1, "price"),
    ("Lovely evening, great pasta and a friendly waiter.", 0, ""),
    ("Nice place, we will come back.", 0, "general"),
]
DESCRIPTIONS = """
default_touchpoint: general
touchpoints:
  food: {description: "The dishes: taste, quality, temperature"}
  service: {description: "Waiters and waiting staff, how fast we serve"}
  price: {description: "Prices, the bill, value for money"}
  general: {description: "The restaurant overall"}
"""


def test_eval_takes_several_sets_and_descriptions_and_writes_json(tmp_path: Path) -> None:
    reviews = _write(
        tmp_path / "reviews.csv",
        ["id", "text", "dissatisfied", "rating", "touchpoint", "source_label"],
        [[i, t, d, "", tp, ""] for i, (t, d, tp) in enumerate(REVIEWS)],
    )
    airline = _write(
        tmp_path / "airline.csv",
        ["id", "text", "sentiment", "negativereason", "airline"],
        [[i, text, sentiment, reason, "Air"] for i, (text, sentiment, reason) in enumerate(ROWS)],
    )
    descriptions = tmp_path / "restaurant.yml"
    descriptions.write_text(DESCRIPTIONS, encoding="utf-8")
    out_json = tmp_path / "figures.json"
    args = ["eval", "--data", str(reviews), "--data", str(airline), "--config", str(AIRLINE)]
    args += ["--descriptions", str(descriptions), "--json", str(out_json)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "== reviews: 5 comments" in result.output
    assert "== airline: 7 comments" in result.output
    figures = json.loads(out_json.read_text(encoding="utf-8"))
    by_set = {s["set"]: s for s in figures["sets"]}
    # Restaurant labels are covered by the descriptions only, the airline's by the routes file.
    assert [t["descriptions"] for t in by_set["reviews"]["touchpoints"]] == [str(descriptions)]
    assert by_set["reviews"]["touchpoints"][0]["complaints"] == 3  # "general" is not specific
    assert [t["descriptions"] for t in by_set["airline"]["touchpoints"]] == [str(AIRLINE)]
    assert by_set["reviews"]["dissatisfaction"]["all"]["comments"] == 5


def test_a_bad_descriptions_file_names_file_key_and_reason(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "reviews.csv",
        ["id", "text", "dissatisfied", "rating", "touchpoint", "source_label"],
        [[0, "cold soup", 1, "", "food", ""]],
    )
    bad = tmp_path / "bad.yml"
    bad.write_text("default_touchpoint: general\ntouchpoints:\n  food: {}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--data", str(data), "--descriptions", str(bad)])
    assert result.exit_code != 0
    assert str(bad) in result.output and "touchpoints.food.description" in result.output


def test_a_descriptions_file_keeps_its_touchpoint_order(tmp_path: Path) -> None:
    from services.router.config import load_config
    from services.router.evaluation import descriptions_config

    path = tmp_path / "zoo.yml"
    path.write_text(
        "default_touchpoint: zebra\ntouchpoints:\n  zebra: {description: stripes}\n"
        "  apple: {description: fruit}\n",
        encoding="utf-8",
    )
    config = descriptions_config(path, load_config(AIRLINE))
    assert [t.name for t in config.touchpoints] == ["zebra", "apple"]
