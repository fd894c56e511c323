"""What an owner can do straight from an alert, shared by the notifier (which offers the actions)
and the desk (which performs them): the action names, Slack's buttons, and signed email links.

Email links carry a signed, timestamped token naming the case, the action, the address the alert
went to and a random nonce; the desk refuses it once expired or once its nonce was used.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from shared import signed_tokens as tokens
from shared.enums import OPEN_CASE_STATUSES, CaseStatus
from shared.models import Case
from shared.signed_tokens import LinkError

ACKNOWLEDGE, TAKE, SNOOZE_HOUR, SNOOZE_TOMORROW, TOUCHPOINT = (
    "acknowledge", "take", "snooze_1h", "snooze_tomorrow", "touchpoint",
)  # fmt: skip
LABELS = {
    ACKNOWLEDGE: "Acknowledge",
    TAKE: "Take it",
    SNOOZE_HOUR: "Snooze 1 hour",
    SNOOZE_TOMORROW: "Snooze until tomorrow 09:00",
    TOUCHPOINT: "Wrong touchpoint",
}
# What each action means once done, for the message that updates in place: "<who> <did>".
DID = {
    ACKNOWLEDGE: "acknowledged the case",
    TAKE: "took the case",
    SNOOZE_HOUR: "snoozed the case for 1 hour",
    SNOOZE_TOMORROW: "snoozed the case until tomorrow 09:00",
    TOUCHPOINT: "corrected the touchpoint",
}
ACTIONS = tuple(LABELS)
ACTIONS_BLOCK = "cx_actions"  # block_id of the buttons, replaced when the message updates
STATUS_BLOCK = "cx_status"  # block_id of the "who did what" lines
SALT = "cxloop.alert-action"
SELECT_LIMIT = 100  # Slack's static_select takes at most 100 options


def offered(action: str, status: str) -> bool:
    """Say whether an alert offers this action for a case in this status."""
    if action == ACKNOWLEDGE:
        return status == CaseStatus.NEW
    return status in OPEN_CASE_STATUSES


def slack_actions(
    case_id: int, *, status: str, touchpoint: str, touchpoints: tuple[str, ...], case_url: str
) -> dict[str, Any]:
    """The Block Kit actions block: open the case, and every action valid in this status."""
    value = str(case_id)
    elements: list[dict[str, Any]] = [
        {"type": "button", "text": {"type": "plain_text", "text": "Open case"}, "url": case_url,
         "action_id": "open_case"},
    ]  # fmt: skip
    for action in (ACKNOWLEDGE, TAKE, SNOOZE_HOUR, SNOOZE_TOMORROW):
        if offered(action, status):
            button = {"type": "button", "text": {"type": "plain_text", "text": LABELS[action]},
                      "action_id": action, "value": value}  # fmt: skip
            if action == ACKNOWLEDGE:
                button["style"] = "primary"
            elements.append(button)
    others = [t for t in touchpoints if t != touchpoint][:SELECT_LIMIT]
    if offered(TOUCHPOINT, status) and others:
        elements.append(
            {
                "type": "static_select",
                "action_id": TOUCHPOINT,
                "placeholder": {"type": "plain_text", "text": LABELS[TOUCHPOINT]},
                "options": [
                    {"text": {"type": "plain_text", "text": t[:75]}, "value": f"{value}:{t}"}
                    for t in others
                ],
            }
        )
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": elements}


# What people did to a case, as the alert's "who did what" lines say it (event action -> words).
STORY = {
    "acknowledge": "acknowledged the case",
    "start": "started work on the case",
    "take": "took the case",
    "snooze": "snoozed the case's reminders",
    "assign": "assigned the case",
    "resolve": "resolved the case",
    "close": "closed the case",
    "reopen": "reopened the case",
    "touchpoint_corrected": "corrected the touchpoint",
    "wait": "put the case on hold until the customer answers",
    "resume": "resumed the case",
}
STORY_LINES = 10  # Slack allows ten elements in a context block
# The desk's people, read by name: the desk's click answers and the notifier's edits of the same
# message must name them alike, and shared/ imports no service's models.
_PEOPLE = table("desk_users", column("email"), column("name"))


def story_lines(session: Session, case: Case) -> list[str]:
    """The case's "who did what" lines for its Slack alerts, with people's desk names."""
    emails = {e.actor for e in case.events} | {
        str(e.detail["assignee"]) for e in case.events if (e.detail or {}).get("assignee")
    }
    wanted = [e for e in emails if "@" in e]
    names: dict[str, str] = {}
    if wanted:
        query = select(_PEOPLE.c.email, _PEOPLE.c.name).where(_PEOPLE.c.email.in_(wanted))
        names = {str(email): str(name or email) for email, name in session.execute(query)}
    return story(
        ((e.action, e.actor, e.at, e.detail or {}) for e in case.events),
        lambda who: names.get(who, who),
    )


def story(
    events: Iterable[tuple[str, str, datetime, Mapping[str, Any]]], name_of: Callable[[str], str]
) -> list[str]:
    """The "who did what" lines of a case from its events (action, actor, at, detail), newest
    last; the same lines whichever alert, and whichever way (click or desk), shows them."""
    lines = []
    for action, actor, at, detail in events:
        if action not in STORY:
            continue
        raw = detail.get("after")
        after: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        did = STORY[action]
        if action == "assign":
            to = detail.get("assignee") or after.get("team")
            who = name_of(str(detail["assignee"])) if detail.get("assignee") else f"team {to}"
            did = f"assigned the case to {who}" if to else "unassigned the case"
        elif action == "touchpoint_corrected" and after.get("touchpoint"):
            did = f"moved the case to touchpoint {after['touchpoint']} (re-routed)"
        elif action == "snooze" and isinstance(after.get("snoozed_until"), str):
            did = f"snoozed the case until {_short(datetime.fromisoformat(after['snoozed_until']))}"
        who = name_of(actor)
        if action == "resume" and detail.get("reply_response_id"):
            who, did = "The customer answered, so the case", "resumed"
        lines.append(f"{who} {did} · {_short(at)}")
    return lines[-STORY_LINES:]


def _short(at: datetime) -> str:
    """'Tue 3 Mar 16:00 UTC' (a stored time without a zone is UTC)."""
    at = at.astimezone(UTC) if at.tzinfo else at
    return f"{at:%a} {at.day} {at:%b %H:%M} UTC"


def updated_blocks(
    blocks: list[dict[str, Any]], lines: list[str], actions: dict[str, Any]
) -> list[dict[str, Any]]:
    """The alert's blocks with its "who did what" lines (replacing any it had) and the buttons."""
    kept = [b for b in blocks if b.get("block_id") not in (STATUS_BLOCK, ACTIONS_BLOCK)]
    kept = [b for b in kept if b.get("type") != "actions"]  # an alert sent before the buttons
    if not lines:
        return [*kept, actions]
    status = {
        "type": "context",
        "block_id": STATUS_BLOCK,
        "elements": [
            {"type": "plain_text", "text": line[:2000], "emoji": False}
            for line in lines[-STORY_LINES:]
        ],
    }
    return [*kept, status, actions]


@dataclass(frozen=True)
class Link:
    """What a verified email link asks for."""

    case_id: int
    action: str
    email: str
    nonce: str


def sign_link(secret: str, *, case_id: int, action: str, email: str) -> str:
    """Return a token for one action on one case by the person the alert was sent to."""
    nonce = secrets.token_urlsafe(12)
    return tokens.dumps(secret, SALT, {"c": case_id, "a": action, "e": email, "n": nonce})


def read_link(secret: str, token: str, *, max_age: float) -> Link:
    """Verify a token's signature and age and return what it asks for."""
    data = tokens.loads(secret, SALT, token, max_age=max_age)
    if not (
        isinstance(data, dict)
        and isinstance(data.get("c"), int)
        and data.get("a") in ACTIONS
        and isinstance(data.get("e"), str)
        and isinstance(data.get("n"), str)
    ):
        raise LinkError()
    return Link(case_id=data["c"], action=data["a"], email=data["e"], nonce=data["n"])
