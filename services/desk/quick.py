"""Actions taken from an alert (a Slack button, an email link), done once each.

Each alert action maps onto a desk action and runs through `flows.perform`, so the access rules,
the lifecycle and the audit trail are the desk's own. A receipt with a unique key (the Slack
interaction, the link's nonce) is written in the same transaction: a replayed request or a
reused link finds it and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.desk import flows
from services.desk.config import DeskConfig
from services.desk.models import ActionReceipt, User
from shared import alert_actions as aa

NOTE = "corrected from an alert"


class AlreadyDone(Exception):
    """This request or link was handled before; nothing was done again."""


def desk_action(action: str, touchpoint: str = "") -> tuple[str, dict[str, Any]]:
    """Return the desk action and its data for an alert action."""
    if action == aa.ACKNOWLEDGE:
        return "acknowledge", {}
    if action == aa.TAKE:
        return "take", {}
    if action == aa.SNOOZE_HOUR:
        return "snooze", {"until": "1h"}
    if action == aa.SNOOZE_TOMORROW:
        return "snooze", {"until": "tomorrow"}
    if action == aa.TOUCHPOINT:
        return "touchpoint", {"touchpoint": touchpoint, "note": NOTE}
    raise ValueError(f"no alert action {action!r}")


def used(session: Session, key: str) -> ActionReceipt | None:
    """Return the receipt of an earlier use of this key, if any."""
    return session.get(ActionReceipt, key)


def run(
    session: Session,
    *,
    key: str,
    user: User,
    case_id: int,
    action: str,
    touchpoint: str = "",
    config: DeskConfig,
    now: datetime,
    touchpoints: Callable[[], Sequence[str]] = tuple,
) -> flows.Outcome:
    """Perform an alert action as `user` and keep its receipt (the caller commits).

    Raises `AlreadyDone` if the key was used, and the desk's own errors (404, 403, 409, 422).
    """
    if used(session, key) is not None:
        raise AlreadyDone(key)
    name, data = desk_action(action, touchpoint)
    outcome = flows.perform(
        session, user=user, case_id=case_id, action=name, data=data, config=config, now=now,
        touchpoints=touchpoints,
    )  # fmt: skip
    session.add(ActionReceipt(key=key, case_id=case_id, action=action, actor=user.email, at=now))
    session.flush()  # a concurrent twin fails here on the unique key
    return outcome


def user_by_slack_id(session: Session, slack_id: str) -> User | None:
    """Return the active desk user linked to this Slack member."""
    user = session.scalar(select(User).where(User.slack_user_id == slack_id))
    return user if user is not None and user.active else None
