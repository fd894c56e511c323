"""The sources file is validated on load, and mappings turn submissions into generic responses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from services.ingest.sources.base import Answer, Kind, Submission
from services.ingest.sources.config import ConfigError, SourceConfig, load_sources, parse_sources
from services.ingest.sources.mapping import to_generic
from shared.settings.files import EXAMPLE_SOURCES

WHEN = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)


def parse(text: str, environ: dict[str, str] | None = None) -> object:
    return parse_sources(yaml.safe_load(text), path=Path("sources.yml"), environ=environ or {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: {}", "sources: expected a list"),
        ("sources: [{name: a, type: nope}]", "sources[0].type: must be one of"),
        ("sources: [{name: A!, type: tally}]", "sources[0].name: required"),
        ("sources: [{name: a, type: tally}, {name: a, type: tally}]", "duplicate source name"),
        ("sources: [{name: a, type: tally, secret: x}]", "sources[0].secret: unknown key"),
        (
            "sources: [{name: a, type: tally, secrets_env: [my-secret-value]}]",
            "never the secret itself",
        ),
        ("sources: [{name: a, type: tally, secrets_env: [A, B, C]}]", "at most two secrets"),
        ("sources: [{name: a, type: tally, mapping: {nps: {x: 1}}}]", "sources[0].mapping.nps"),
        ("sources: [{name: a, type: tally, mapping: {score: q1}}]", "mapping.score: unknown key"),
        ("sources: [{name: a, type: tally, mapping: {ces_scale: up}}]", "mapping.ces_scale"),
        ("sources: [{name: a, type: qualtrics, api_base_url: ftp://x}]", "api_base_url"),
        ("sources: [{name: a, type: generic, options: {tolerance_s: -1}}]", "tolerance_s"),
    ],
)
def test_a_bad_sources_file_fails_naming_file_key_and_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(text)
    assert str(raised.value).startswith("sources.yml: ")
    assert message in str(raised.value)


def test_unreadable_or_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_sources(tmp_path / "missing.yml", {})
    bad = tmp_path / "bad.yml"
    bad.write_text("sources: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sources(bad, {})


def test_secrets_come_from_the_environment_and_are_masked() -> None:
    sources = parse(
        "sources: [{name: t, type: typeform, secrets_env: [NEW, OLD]}]",
        {"NEW": "s3cret", "OLD": "older"},
    )
    source = sources.get("t")  # type: ignore[attr-defined]
    assert source.secrets == ("s3cret", "older")
    assert "s3cret" not in repr(source)


def test_the_shipped_example_is_valid() -> None:
    assert len(load_sources(EXAMPLE_SOURCES, {}).by_name) == 9


def submission(*answers: Answer, **fields: str) -> Submission:
    return Submission(response_id="r", submitted_at=WHEN, answers=answers, fields=fields)


def test_defaults_pick_vendor_score_types_and_the_first_long_text() -> None:
    generic = to_generic(
        submission(
            Answer(("q1", "Short"), Kind.TEXT, "hi"),
            Answer(("q2",), Kind.SCALE, "4", scale=(0, 10)),
            Answer(("q3",), Kind.RATING, 2),
            Answer(("q4",), Kind.LONG_TEXT, "Too slow."),
            touchpoint="delivery",
            customer_id="C-1",
            region="emea",
        ),
        SourceConfig(name="s", type="tally"),
    )
    assert generic["scores"] == {"nps": 4, "csat": 2}
    assert generic["comment"] == "Too slow."
    assert generic["touchpoint"] == "delivery"
    assert generic["respondent"] == {"id": "C-1"}
    assert generic["attributes"] == {"region": "emea"}


@pytest.mark.parametrize(
    ("answers", "nps"),
    [
        ((Answer(("q",), Kind.SCALE, 4, scale=(1, 5)),), None),  # a 1-5 scale is no NPS
        ((Answer(("q",), Kind.SCALE, 4),), None),  # nor a scale whose range is not known
        ((Answer(("q",), Kind.SCALE, 4, scale=(1, 5)), Answer(("n",), Kind.NPS, 9)), 9),
        ((Answer(("q",), Kind.SCALE, 4, scale=(0, 10)),), 4),
        ((Answer(("q",), Kind.NPS, 3, scale=(1, 10)),), None),  # not 0-10 after all
    ],
)
def test_the_default_nps_is_judged_by_the_questions_scale_not_the_value(
    answers: tuple[Answer, ...], nps: int | None
) -> None:
    scores = to_generic(submission(*answers), SourceConfig(name="s", type="tally"))["scores"]
    assert scores.get("nps") == nps


def test_an_explicit_mapping_wins_and_titles_match_case_insensitively() -> None:
    source = SourceConfig(
        name="s",
        type="tally",
        mapping=parse(
            "sources: [{name: s, type: tally, mapping: {ces: 'Effort?', comment: [c1, c2],"
            " attributes: {plan: Plan}, touchpoint_default: billing, ces_scale: agreement}}]"
        )
        .get("s")
        .mapping,
    )  # type: ignore[attr-defined]
    generic = to_generic(
        submission(
            Answer(("q9", "effort?"), Kind.SCALE, 6),
            Answer(("c1",), Kind.TEXT, "One."),
            Answer(("c2",), Kind.TEXT, "Two."),
            Answer(("q5",), Kind.NPS, 9),
            Plan="pro",
        ),
        source,
    )
    assert generic["scores"] == {"ces": 2, "nps": 9}  # 6 of 7 "agree" is low effort
    assert generic["comment"] == "One.\n\nTwo."
    assert generic["touchpoint"] == "billing"
    assert generic["attributes"]["plan"] == "pro"
