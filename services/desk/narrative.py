"""Say in plain words why a case exists, where it went, and what happened to it since.

Pure functions over the stored JSON of a case and its events: the case page and the API show
these sentences instead of raw JSON, so a champion never reads `{"before": ...}` or `\\u0027`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.enums import TouchpointSource

Namer = Callable[[str], str]
_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")  # a stored code such as in_progress or carrier_delay
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?")
SOURCES: dict[str, str] = {
    TouchpointSource.EXPLICIT: "The respondent (or the survey) named this touchpoint.",
    TouchpointSource.DEFAULT: "Nothing in the response pointed to a touchpoint, so the default"
    " one applies.",
}
# What a person did, by the event's action; "{who}" is the actor's name.
DID = {
    "acknowledge": "{who} acknowledged the case",
    "start": "{who} started work on the case",
    "resolve": "{who} resolved the case",
    "close": "{who} closed the case",
    "reopen": "{who} reopened the case",
    "assign": "{who} assigned the case",
    "not_assigned": "Nobody could be assigned",
    "take": "{who} took the case",
    "snooze": "{who} snoozed the case's reminders",
    "wait": "{who} put the case on waiting for the customer: its resolve clock is paused",
    "resume": "{who} resumed the case",
    "note": "{who} added an internal note",
    "contact": "{who} recorded a contact with the customer",
    "touchpoint_corrected": "{who} corrected the touchpoint",
    "rerouted": "The case was re-routed after a touchpoint correction",
    "created": "The case was opened",
    "routed": "The case was routed",
    "silenced": "Nobody was paged: a silence held the alerts",
    "escalate": "The SLA was breached: escalation sent",
    "delivered": "Alert sent",
    "delivery_failed": "An alert could not be sent",
    "delivery_retry": "An alert failed and will be retried",
    "response_updated": "The survey response was updated by its source",
    "fetch_failed": "Fetching the full response from its source failed",
    "follow_up_sent": "The customer was asked: did we fix it?",
    "follow_up_skipped": "The customer was not asked whether we fixed it",
    "follow_up_failed": "The follow-up question could not be sent",
    "follow_up_answered": "The customer answered: did we fix it?",
    "follow_up_opted_out": "The customer asked never to get follow-up questions",
}
MACHINES = {"router", "notifier", "escalation", "desk", "system", "assignment", "customer", ""}
SKIP = {"note_id", "contact_id", "correction_id", "delivery_id", "before", "after", "length"}


def words(value: Any) -> str:
    """Show a stored value readably: codes with spaces, lists joined, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(words(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{words(k)}: {words(v)}" for k, v in value.items()) or "—"
    if isinstance(value, str) and _STAMP.fullmatch(value):
        at = datetime.fromisoformat(value)
        return f"{(at.astimezone(UTC) if at.tzinfo else at):%Y-%m-%d %H:%M} UTC"
    return (
        str(value).replace("_", " ") if isinstance(value, str) and " " not in value else str(value)
    )


def why(
    *,
    reasons: Any,
    analysis: Mapping[str, Any] | None,
    touchpoints: Mapping[str, Any] | None,
    receivers: Mapping[str, Any] | None,
    deliveries: Sequence[Mapping[str, Any]],
    explanation: str | None,
) -> dict[str, list[str]]:
    """Return the four readable lists: why a case, which sentences, why this touchpoint, who."""
    stored = reasons.get("reasons", []) if isinstance(reasons, dict) else reasons or []
    because = [str(r.get("text") or r) if isinstance(r, dict) else str(r) for r in stored]
    sentences = [str(s) for s in (analysis or {}).get("evidence") or []]
    return {
        "reasons": because,
        "sentences": sentences,
        "touchpoint": _touchpoint_lines(touchpoints or {}),
        "alerted": _alerted_lines(receivers or {}, deliveries, explanation),
    }


def _touchpoint_lines(stored: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    corrected = stored.get("corrected")
    if isinstance(corrected, dict):
        lines.append(
            f"{corrected.get('by') or 'Someone'} corrected it from "
            f"{corrected.get('from') or '—'} to {stored.get('chosen') or '—'}."
        )
    source = str(stored.get("source") or "")
    if source in SOURCES:
        lines.append(SOURCES[source])
    for match in stored.get("detected") or []:
        if not isinstance(match, dict):
            continue
        found = ", ".join(f"“{w}”" for w in match.get("evidence") or [])
        score = match.get("score")
        score_text = f" (score {score:.2f})" if isinstance(score, int | float) else ""
        lines.append(
            f"{match.get('name')}: the comment mentions {found}{score_text}"
            if found
            else f"{match.get('name')}: detected from the comment{score_text}"
        )
    return lines


def _alerted_lines(
    receivers: Mapping[str, Any],
    deliveries: Sequence[Mapping[str, Any]],
    explanation: str | None,
) -> list[str]:
    lines: list[str] = []
    routes = receivers.get("routes") or []
    for index, name in enumerate(receivers.get("receivers") or []):
        via = f" (route {routes[index]})" if index < len(routes) and routes[index] else ""
        sent = [
            f"{d['channel']} to {d['target']} ({words(d['status'])})"
            for d in deliveries
            if d.get("receiver") == name and d.get("kind") == "assignment"
        ]
        lines.append(f"{name}{via}" + (f": {'; '.join(sent)}" if sent else ""))
    if not lines:
        lines.append("No routing receiver matched this case.")
    if explanation:
        lines.append(explanation)
    return lines


def timeline_entry(
    action: str, actor: str, detail: Mapping[str, Any], name: Namer
) -> dict[str, Any]:
    """Return one timeline event in words: a sentence, the changes, an optional quote."""
    who = name(actor) if actor not in MACHINES else (actor or "the desk")
    who = "Round robin" if actor == "assignment" else who
    sentence = DID.get(action, f"{who}: {words(action)}").format(who=who)
    if action == "resume" and detail.get("reply_response_id"):
        sentence = "The customer answered (a new response), so the case resumed"
    extra = _extra(action, detail, name)
    if extra:
        sentence = f"{sentence} {extra}"
    before, after = detail.get("before"), detail.get("after")
    changes = (
        [
            f"{words(k)}: {words(before.get(k))} → {words(v)}"
            for k, v in after.items()
            if not k.endswith(("_at", "_id", "_seconds", "_until"))  # the time or sentence say it
        ]
        if isinstance(before, dict) and isinstance(after, dict)
        else []
    )
    quote = detail.get("reason") or detail.get("note") or None
    aside = detail.get("explanation") or detail.get("warning") or detail.get("error") or ""
    for key, label in (("alerted", "Alerted"), ("told_moved", "Told it moved")):
        if detail.get(key):
            aside = f"{aside} {label}: {words(detail[key])}.".strip()
    return {"text": sentence, "changes": changes, "quote": quote, "aside": aside or None}


def _extra(action: str, detail: Mapping[str, Any], name: Namer) -> str:
    """The few words after the sentence that say to whom, how or what."""
    stored = detail.get("after")
    after: Mapping[str, Any] = stored if isinstance(stored, dict) else {}
    if action == "assign":
        parts = []
        if detail.get("assignee"):
            parts.append(name(str(detail["assignee"])))
        if after.get("team"):
            parts.append(f"team {after['team']}")
        return f"to {' and '.join(parts)}" if parts else ""
    if action == "resolve" and after.get("root_cause"):
        return f"(root cause: {words(after['root_cause'])})"
    if action == "snooze" and after.get("snoozed_until"):
        return f"until {words(after['snoozed_until'])}"
    if action == "resume" and detail.get("waited"):
        return (
            f"after it waited {detail['waited']} on the customer; the resolve deadline "
            f"moved on by {detail.get('deadline_moved_by')} of working time"
        )
    if action == "reopen" and after.get("status"):
        return f"as {words(after['status'])}"
    if action == "contact":
        return f"by {words(detail.get('channel'))}: {words(detail.get('outcome'))}"
    if action == "created":
        priority = words(detail.get("priority")).upper()
        return f"({priority}, touchpoint {words(detail.get('touchpoint'))})"
    if action == "routed":
        grouped = ", ".join(f"#{i}" for i in detail.get("incidents") or [])
        into = f"; grouped into incident {grouped}, alerted once for the group" if grouped else ""
        return f"to {words(detail.get('receivers'))}{into}"
    if action == "escalate":
        targets = words(detail.get("targets"))
        return f"(step {detail.get('step')}, to {words(detail.get('to'))}: {targets})"
    if action in ("delivered", "delivery_failed", "delivery_retry"):
        via = detail.get("via") or detail.get("channel")
        return f"to {detail.get('receiver') or '—'} by {words(via)}"
    if action == "silenced":
        return (
            f"(silence #{detail.get('silence_id')} by {words(detail.get('created_by'))}, "
            f"until {words(detail.get('ends_at'))}: {words(detail.get('comment'))})"
        )
    if action == "follow_up_answered":
        verdict = "satisfied" if detail.get("satisfied") else "not satisfied"
        return f"{detail.get('score')} on {detail.get('scale')} ({verdict})"
    if action == "follow_up_sent":
        return f"(by {words(detail.get('channel'))} to {detail.get('to') or '—'})"
    if action == "rerouted" and detail.get("by"):
        return f"(asked by {name(str(detail['by']))})"
    if action not in DID:
        shown = {k: v for k, v in detail.items() if k not in SKIP and not isinstance(v, dict)}
        return f"({words(shown)})" if shown else ""
    return ""
