"""Who is asked, and what an answer means: pure functions of plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.followups.config import SATISFIED_FROM, SCALES, FollowUpConfig

# The router's default thresholds (router.policy.Thresholds): at or past these, dissatisfied.
NPS_DETRACTOR_MAX, CSAT_MAX, CES_MIN = 6, 2, 5
ASKED_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class Customer:
    """What a customer record says: opted out, and the last follow-up sent to them."""

    opted_out_at: datetime | None = None
    last_asked_at: datetime | None = None
    last_follow_up_id: int | None = None


def customer_keys(email: str | None, source: str, respondent_id: str | None) -> tuple[str, ...]:
    """The keys a customer is known by: their address, and their id at the survey source."""
    keys = []
    if email and email.strip():
        keys.append(f"email:{email.strip().lower()}")
    if respondent_id and respondent_id.strip():
        keys.append(f"respondent:{source}:{respondent_id.strip()}")
    return tuple(keys)


def is_detractor(*, nps: int | None, csat: int | None, ces: int | None) -> bool:
    """Whether the original response was a detractor (NPS) or dissatisfied (CSAT, CES)."""
    if nps is not None:
        return nps <= NPS_DETRACTOR_MAX
    if csat is not None:
        return csat <= CSAT_MAX
    return ces is not None and ces >= CES_MIN


def skip_reason(
    *,
    follow_up_id: int,
    status: str,
    reached: bool,
    email: str | None,
    customers: Sequence[Customer],
    now: datetime,
    min_days_between: int,
    enabled: bool = True,
) -> str | None:
    """Say in plain words why this customer must not be asked now; None means ask."""
    if not enabled:
        return "follow-ups were turned off (desk.yml follow_up.enabled)"
    if status not in ASKED_STATUSES:
        return f"the case is {status.replace('_', ' ')}, no longer resolved"
    if not reached:
        return "nobody reached the customer about this case"
    if not email or "@" not in email:
        return "the response has no email address"
    if any(c.opted_out_at is not None for c in customers):
        return "the customer opted out of follow-ups"
    since = now - timedelta(days=min_days_between)
    for c in customers:
        if c.last_follow_up_id == follow_up_id:
            continue  # this very follow-up, tried before and failed: not another question
        if c.last_asked_at is not None and c.last_asked_at > since:
            last = f"{c.last_asked_at:%Y-%m-%d}"
            return f"the customer was asked within {min_days_between} days (last on {last})"
    return None


def read_score(value: object, config: FollowUpConfig, scale: str) -> int:
    """Turn a submitted answer into a score on the follow-up's scale, or raise ValueError."""
    low, high = SCALES.get(scale, SCALES[config.scale])
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValueError(f"score: must be a whole number from {low} to {high}")
    return int(text)


def is_satisfied(score: int, config: FollowUpConfig, scale: str) -> bool:
    """Whether an answer counts as satisfied (at or above `satisfied_from` on its scale)."""
    if scale == config.scale:
        return score >= config.satisfied_from
    return score >= SATISFIED_FROM[scale]  # asked on a scale the file no longer uses
