"""Who is asked "did we fix it?", and what an answer means: the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.followups import policy
from shared.followups.config import parse_follow_up
from shared.followups.policy import Customer

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ZERO_TEN = parse_follow_up({"enabled": True})
ONE_FIVE = parse_follow_up({"enabled": True, "scale": "1-5"})


def reason(**overrides: object) -> str | None:
    values: dict[str, object] = {
        "follow_up_id": 7, "status": "resolved", "reached": True, "email": "ann@example.com",
        "customers": [], "now": NOW, "min_days_between": 30,
    }  # fmt: skip
    return policy.skip_reason(**(values | overrides))  # type: ignore[arg-type]


def test_a_reached_customer_of_a_resolved_or_closed_case_is_asked() -> None:
    assert reason() is None
    assert reason(status="closed") is None


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"status": "in_progress"}, "the case is in progress, no longer resolved"),
        ({"reached": False}, "nobody reached the customer"),
        ({"enabled": False}, "follow-ups were turned off"),
        ({"email": None}, "no email address"),
        ({"email": "not-an-address"}, "no email address"),
        ({"customers": [Customer(opted_out_at=NOW - timedelta(days=400))]}, "opted out"),
        (
            {"customers": [Customer(last_asked_at=NOW - timedelta(days=29), last_follow_up_id=3)]},
            "asked within 30 days (last on 2026-02-09)",
        ),
    ],
)
def test_customers_who_must_not_be_asked_are_skipped_with_the_reason(
    overrides: dict[str, object], said: str
) -> None:
    assert said in (reason(**overrides) or "")


def test_asked_long_enough_ago_or_by_this_same_follow_up_is_no_reason_to_skip() -> None:
    old = Customer(last_asked_at=NOW - timedelta(days=31), last_follow_up_id=3)
    retry = Customer(last_asked_at=NOW - timedelta(minutes=5), last_follow_up_id=7)
    assert reason(customers=[old, retry]) is None
    assert reason(customers=[old], min_days_between=0) is None


def test_an_opt_out_under_either_key_wins_over_everything() -> None:
    mixed = [Customer(), Customer(opted_out_at=NOW, last_follow_up_id=7)]
    assert "opted out" in (reason(customers=mixed) or "")


def test_customer_keys_are_the_lowercased_address_and_the_sources_respondent_id() -> None:
    assert policy.customer_keys(" Ann@Example.COM ", "typeform", "r-9") == (
        "email:ann@example.com",
        "respondent:typeform:r-9",
    )
    assert policy.customer_keys(None, "typeform", "") == ()


@pytest.mark.parametrize(
    ("scores", "detractor"),
    [
        ({"nps": 6, "csat": 5, "ces": 1}, True),  # NPS decides when there is one
        ({"nps": 7, "csat": 1, "ces": 7}, False),
        ({"nps": None, "csat": 2, "ces": None}, True),
        ({"nps": None, "csat": 3, "ces": 7}, False),
        ({"nps": None, "csat": None, "ces": 5}, True),
        ({"nps": None, "csat": None, "ces": None}, False),
    ],
)
def test_detractor_at_first_follows_the_routers_default_thresholds(
    scores: dict[str, int | None], detractor: bool
) -> None:
    assert policy.is_detractor(**scores) is detractor


@pytest.mark.parametrize(
    ("value", "config", "scale", "score"),
    [("0", ZERO_TEN, "0-10", 0), (" 10 ", ZERO_TEN, "0-10", 10), ("5", ONE_FIVE, "1-5", 5)],
)
def test_an_answer_on_the_scale_is_read(value: str, config: object, scale: str, score: int) -> None:
    assert policy.read_score(value, config, scale) == score  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, "", "11", "-1", "7.5", "seven", "0x7", "٣"])
def test_anything_else_is_refused_with_the_scale(value: object) -> None:
    with pytest.raises(ValueError, match="score: must be a whole number from 0 to 10"):
        policy.read_score(value, ZERO_TEN, "0-10")
    with pytest.raises(ValueError, match="from 1 to 5"):
        policy.read_score("0", ONE_FIVE, "1-5")


def test_satisfied_from_is_the_threshold_and_an_old_scale_keeps_its_own() -> None:
    assert [policy.is_satisfied(n, ZERO_TEN, "0-10") for n in (6, 7)] == [False, True]
    assert [policy.is_satisfied(n, ZERO_TEN, "1-5") for n in (3, 4)] == [False, True]
