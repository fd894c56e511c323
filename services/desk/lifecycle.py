"""The case lifecycle as pure functions: a command and a case snapshot in, a change out.

new -> acknowledged -> in_progress -> resolved -> closed; resolved/closed can be reopened.
acknowledged/in_progress -> waiting_on_customer (the resolve clock pauses) -> in_progress.
Illegal transitions raise `IllegalTransition` (HTTP 409); bad input raises `InvalidCommand` (422).
Every change carries the audit detail: what changed, before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared import pause
from shared.enums import CaseStatus
from shared.sla import BusinessHours

NEW, ACK, WORK, DONE, CLOSED, WAITING = (
    CaseStatus.NEW,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.RESOLVED,
    CaseStatus.CLOSED,
    CaseStatus.WAITING,
)

# action -> statuses it may start from
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "acknowledge": (NEW,),
    "start": (NEW, ACK),
    "resolve": (ACK, WORK),
    "close": (DONE,),
    "reopen": (DONE, CLOSED),
    "assign": (NEW, ACK, WORK, WAITING, DONE),
    "touchpoint": (NEW, ACK, WORK),  # a correction re-routes: only while someone must act
    "notes": (NEW, ACK, WORK, WAITING, DONE),  # a closed case is done with: reopen it to add more
    "contacts": (NEW, ACK, WORK, WAITING, DONE),
    "take": (NEW, ACK, WORK, WAITING),  # assign to oneself (acknowledging a new case)
    "snooze": (NEW, ACK, WORK),  # reminders wait; only an open case has any
    "wait": (ACK, WORK),  # the customer must answer first: the resolve clock pauses
    "resume": (WAITING,),  # the owner goes on without waiting any longer
}
VERBS = {
    "touchpoint": "correct the touchpoint of",
    "notes": "add a note to",
    "contacts": "record a contact on",
    "snooze": "snooze",
    "wait": "put on waiting for the customer",
}
REOPEN_TO = (ACK, WORK)
NOTE_MAX = 10_000


class IllegalTransition(Exception):
    """The action is not allowed from the case's current status."""

    def __init__(self, action: str, status: str, message: str | None = None) -> None:
        allowed = ", ".join(ALLOWED_FROM.get(action, ()))
        verb = VERBS.get(action, action)
        super().__init__(
            message
            or f"cannot {verb} a case that is {status} (allowed from: {allowed or 'nowhere'})"
        )
        self.action = action
        self.status = status


class InvalidCommand(Exception):
    """The command's input is wrong; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CaseSnapshot:
    """The lifecycle fields of a case, as read before the change."""

    status: str
    touchpoint: str
    assignee_id: int | None = None
    team: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    root_cause: str | None = None
    resolution_note: str | None = None
    snoozed_until: datetime | None = None
    resolve_due_at: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: int = 0


@dataclass(frozen=True)
class Change:
    """What to write to the case, and the audit event describing it."""

    action: str
    updates: dict[str, Any]
    detail: dict[str, Any] = field(default_factory=dict)


def available(status: str) -> tuple[str, ...]:
    """Return the actions a case in this status allows, in the table's order."""
    return tuple(action for action, starts in ALLOWED_FROM.items() if status in starts)


def check(action: str, case: CaseSnapshot) -> None:
    """Raise `IllegalTransition` unless the action is allowed from the case's status."""
    if case.status not in ALLOWED_FROM[action]:
        raise IllegalTransition(action, case.status)


def _audit(case: CaseSnapshot, updates: dict[str, Any]) -> dict[str, Any]:
    """Before/after of every field that changes, as JSON-friendly values."""

    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    before = {k: plain(getattr(case, k)) for k in updates}
    after = {k: plain(v) for k, v in updates.items()}
    changed = [k for k in updates if before[k] != after[k]]
    return {
        "before": {k: before[k] for k in changed},
        "after": {k: after[k] for k in changed},
    }


def _text(value: str | None, name: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidCommand({name: ["required"]})
    if len(text) > NOTE_MAX:
        raise InvalidCommand({name: [f"longer than {NOTE_MAX} characters"]})
    return text


def acknowledge(case: CaseSnapshot, *, now: datetime) -> Change:
    """Take note of a new case: the SLA's first clock stops."""
    check("acknowledge", case)
    updates = {"status": ACK, "acknowledged_at": now}
    return Change("acknowledge", updates, _audit(case, updates))


def start(case: CaseSnapshot, *, now: datetime) -> Change:
    """Start working on a case (acknowledging it too if that was skipped)."""
    check("start", case)
    updates: dict[str, Any] = {"status": WORK}
    if case.acknowledged_at is None:
        updates["acknowledged_at"] = now
    return Change("start", updates, _audit(case, updates))


def resolve(
    case: CaseSnapshot, *, now: datetime, root_cause: str, note: str, allowed: tuple[str, ...]
) -> Change:
    """Resolve with a root-cause code from the touchpoint's list and a resolution note."""
    check("resolve", case)
    errors: dict[str, list[str]] = {}
    if root_cause not in allowed:
        errors["root_cause"] = [f"must be one of: {', '.join(allowed)}"]
    if not (note or "").strip():
        errors["resolution_note"] = ["required"]
    if errors:
        raise InvalidCommand(errors)
    updates = {
        "status": DONE,
        "resolved_at": now,
        "root_cause": root_cause,
        "resolution_note": _text(note, "resolution_note", required=True),
    }
    return Change("resolve", updates, _audit(case, updates))


def close(case: CaseSnapshot, *, now: datetime) -> Change:
    """Close a resolved case for good (it can still be reopened)."""
    check("close", case)
    updates = {"status": CLOSED, "closed_at": now}
    return Change("close", updates, _audit(case, updates))


def reopen(case: CaseSnapshot, *, to: str, reason: str) -> Change:
    """Reopen a resolved or closed case; the previous resolution stays in the audit trail."""
    check("reopen", case)
    if to not in REOPEN_TO:
        raise InvalidCommand({"to": [f"must be one of: {', '.join(REOPEN_TO)}"]})
    updates = {
        "status": to,
        "resolved_at": None,
        "closed_at": None,
        "root_cause": None,
        "resolution_note": None,
    }
    change = Change("reopen", updates, _audit(case, updates))
    change.detail["reason"] = _text(reason, "reason", required=True)
    return change


def assign(case: CaseSnapshot, *, assignee_id: int | None, team: str | None) -> Change:
    """Assign or reassign the case to a person and/or a team."""
    check("assign", case)
    if assignee_id is None and team is None:
        raise InvalidCommand({"_schema": ["give an assignee, a team, or both"]})
    updates: dict[str, Any] = {}
    if assignee_id is not None:
        updates["assignee_id"] = assignee_id
    if team is not None:
        updates["team"] = team
    return Change("assign", updates, _audit(case, updates))


def snooze(case: CaseSnapshot, *, until: datetime, now: datetime) -> Change:
    """Hold the case's reminders until a moment: escalation waits, the deadlines do not move."""
    check("snooze", case)
    if until <= now:
        raise InvalidCommand({"until": ["must be in the future"]})
    updates = {"snoozed_until": until}
    return Change("snooze", updates, _audit(case, updates))


def wait(case: CaseSnapshot, *, now: datetime, note: str) -> Change:
    """Wait on the customer: the resolve clock pauses until they answer or an owner resumes."""
    check("wait", case)
    updates: dict[str, Any] = {"status": WAITING, "paused_at": now}
    change = Change("wait", updates, _audit(case, updates))
    change.detail["note"] = _text(note, "note", required=False)
    return change


def resume(case: CaseSnapshot, *, now: datetime, hours: BusinessHours | None) -> Change:
    """Stop waiting: work goes on, the resolve deadline moves on by the working time waited."""
    check("resume", case)
    resumption = pause.resume(
        paused_at=case.paused_at or now, now=now, resolve_due_at=case.resolve_due_at,
        paused_seconds=case.paused_seconds, hours=hours,
    )  # fmt: skip
    updates = pause.resumed_updates(resumption)
    return Change("resume", updates, _audit(case, updates) | pause.resumed_words(resumption))


def take(case: CaseSnapshot, *, user_id: int, now: datetime) -> Change:
    """Make the case the user's own, acknowledging it if nobody had (one click in an alert)."""
    check("take", case)
    if case.assignee_id == user_id and case.status != NEW:
        raise IllegalTransition("take", case.status, "the case is already yours")
    updates: dict[str, Any] = {"assignee_id": user_id}
    if case.status == NEW:
        updates |= {"status": ACK, "acknowledged_at": now}
    return Change("take", updates, _audit(case, updates))


def note(body: str) -> Change:
    """Add an internal note (allowed in every status)."""
    text = _text(body, "body", required=True)
    return Change("note", {}, {"length": len(text)})


def contact(*, channel: str, outcome: str, note: str) -> Change:
    """Record that the customer was contacted: how, and what came of it."""
    return Change(
        "contact",
        {},
        {"channel": channel, "outcome": outcome, "note": _text(note, "note", required=False)},
    )


def correct_touchpoint(
    case: CaseSnapshot, *, to: str, known: Sequence[str], note: str, pending: bool
) -> Change:
    """Say which touchpoint the case is really about; the router then moves it to its owner.

    Nothing changes on the case here: the audit event records the request, and the router
    applies it. One correction at a time, so each one starts from the touchpoint it names.
    """
    check("touchpoint", case)
    if pending:
        raise IllegalTransition(
            "touchpoint", case.status,
            "a touchpoint correction of this case is still being applied; try again shortly",
        )  # fmt: skip
    if to not in known:
        raise InvalidCommand(
            {"touchpoint": [f"unknown touchpoint {to!r}; use one of: {', '.join(known)}"]}
        )
    if to == case.touchpoint:
        raise InvalidCommand({"touchpoint": [f"the case is already at touchpoint {to!r}"]})
    detail = {
        "before": {"touchpoint": case.touchpoint},
        "after": {"touchpoint": to},
        "note": _text(note, "note", required=False),
    }
    return Change("touchpoint_corrected", {}, detail)
