"""Turn stored rows into the plain dictionaries the API schemas and templates show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.desk import narrative, service
from services.desk.config import DeskConfig
from services.desk.enums import SlaState
from services.desk.escalation import view_of
from services.desk.incidents import incidents_of
from services.desk.lifecycle import ALLOWED_FROM, available
from services.desk.models import User
from services.desk.queue import QueueRow
from services.desk.sla import sla_state
from shared.enums import ROUTED_TOUCHPOINT_SOURCES
from shared.followups import service as followups
from shared.logs import redact
from shared.models import Case, Response
from shared.redaction import public_target, scrub


def _respondent(response: Response) -> str | None:
    if response.respondent_name and response.respondent_email:
        return f"{response.respondent_name} <{response.respondent_email}>"
    return response.respondent_name or response.respondent_email or response.respondent_id


def _user(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "email": user.email, "name": user.name}


DISAGREEMENT_TEXT = {
    "happy_score_negative_comment": "The score is happy but the comment is negative: check with"
    " the customer which one they meant.",
    "unhappy_score_praising_comment": "The score is unhappy but the comment praises: the scale"
    " may have been misread; check with the customer.",
}


def summary(case: Case, response: Response, state: str, assignee: User | None) -> dict[str, Any]:
    """The fields of a case the queue lists."""
    return {
        "id": case.id, "status": case.status, "priority": case.priority,
        "touchpoint": case.touchpoint, "owner": case.owner, "team": case.team,
        "assignee": _user(assignee), "created_at": case.created_at,
        "ack_due_at": case.ack_due_at, "resolve_due_at": case.resolve_due_at,
        "sla_state": state, "escalation_step": case.escalation_step,
        "snoozed_until": case.snoozed_until,
        "paused_at": case.paused_at, "paused_seconds": case.paused_seconds,
        "nps": response.nps, "csat": response.csat, "ces": response.ces,
        "comment": response.comment, "respondent": _respondent(response),
        "overdue": state == SlaState.OVERDUE, "disagreement": case.disagreement,
    }  # fmt: skip


def snoozed(case: Case, now: datetime) -> bool:
    """Whether the case is open and its reminders are held (a snooze that has not ended)."""
    return (
        case.snoozed_until is not None
        and case.snoozed_until > now
        and case.status in ALLOWED_FROM["snooze"]
    )


def rows(
    session: Session, page_rows: list[QueueRow], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Present a queue page, loading assignees in one query (`now` marks snoozed cases)."""
    users = service.users_by_id(
        session, {r.case.assignee_id for r in page_rows if r.case.assignee_id}
    )
    grouped = incidents_of(session, case_ids=[r.case.id for r in page_rows])
    return [
        summary(r.case, r.response, r.sla_state, users.get(r.case.assignee_id or 0))
        | {"snoozed": now is not None and snoozed(r.case, now), "incident": grouped.get(r.case.id)}
        for r in page_rows
    ]


def detail(
    session: Session, case: Case, *, config: DeskConfig, now: Any, touchpoints: Sequence[str] = ()
) -> dict[str, Any]:
    """Everything about one case: response, analysis, routing, deliveries, timeline, notes."""
    response = case.response
    corrections = service.corrections_of(session, case_id=case.id)
    correctable = case.status in ALLOWED_FROM["touchpoint"] and all(
        c.applied_at is not None for c in corrections
    )
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    state = sla_state(view_of(case), now, config.due_soon)
    out = summary(case, response, state, assignee)
    out.update(
        incident=incidents_of(session, case_ids=[case.id]).get(case.id),
        snoozed=snoozed(case, now),
        acknowledged_at=case.acknowledged_at, resolved_at=case.resolved_at,
        closed_at=case.closed_at, root_cause=case.root_cause,
        resolution_note=case.resolution_note,
        root_causes=list(config.root_causes_for(case.touchpoint)),
        reasons=case.reasons, analysis=case.analysis, touchpoints=case.touchpoints,
        receivers=case.receivers, polarity=case.polarity,
        response={
            "id": response.id, "source": response.source, "external_id": response.external_id,
            "submitted_at": response.submitted_at, "respondent_id": response.respondent_id,
            "respondent_email": response.respondent_email,
            "respondent_name": response.respondent_name, "touchpoint": response.touchpoint,
            "nps": response.nps, "csat": response.csat, "ces": response.ces,
            "comment": response.comment, "attributes": response.attributes,
            "answers": response.raw,
        },
        deliveries=[
            {"id": d.id, "kind": d.kind, "step": d.step, "receiver": d.receiver,
             "channel": d.channel, "target": public_target(d.target), "status": d.status,
             "attempts": d.attempts, "last_error": d.last_error and redact(d.last_error),
             "sent_at": d.sent_at}
            for d in case.deliveries
        ],
        timeline=_timeline(session, case),
        actions=list(available(case.status)),
        notes=[
            {"id": n.id, "body": n.body, "author": n.author.email if n.author else None,
             "created_at": n.created_at}
            for n in service.notes_of(session, case_id=case.id)
        ],
        contacts=[
            {"id": c.id, "channel": c.channel, "outcome": c.outcome, "note": c.note,
             "user": c.user.email if c.user else None, "at": c.at}
            for c in service.contacts_of(session, case_id=case.id)
        ],
        corrections=[
            {"id": c.id, "from_touchpoint": c.from_touchpoint, "to_touchpoint": c.to_touchpoint,
             "actor": c.actor, "at": c.at, "applied_at": c.applied_at}
            for c in corrections
        ],
        touchpoint_choices=[t for t in touchpoints if t != case.touchpoint] if correctable else [],
        resolving_confirms_touchpoint=_resolving_confirms(case, response),
        follow_up=_follow_up(session, case.id),
    )  # fmt: skip
    out["why"] = narrative.why(
        reasons=case.reasons, analysis=case.analysis, touchpoints=case.touchpoints,
        receivers=case.receivers, deliveries=out["deliveries"],
        explanation=_routing_explanation(out["timeline"]),
    )  # fmt: skip
    return out


def _resolving_confirms(case: Case, response: Response) -> bool:
    """Whether resolving the case as it stands teaches the router that its touchpoint was right
    (the router chose it, and there is a comment to learn from)."""
    has_comment = bool((response.comment or "").strip())
    return has_comment and case.touchpoints.get("source") in ROUTED_TOUCHPOINT_SOURCES


def _timeline(session: Session, case: Case) -> list[dict[str, Any]]:
    """The case's events, each with its raw detail and the same in words."""
    names = service.names_by_email(session, {e.actor for e in case.events if "@" in e.actor})
    entries = []
    for e in case.events:
        detail = scrub(e.detail) or {}
        words = narrative.timeline_entry(e.action, e.actor, detail, lambda a: names.get(a, a))
        entries.append(
            {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "detail": detail} | words
        )
    return entries


def _routing_explanation(timeline: list[dict[str, Any]]) -> str | None:
    """The router's latest explanation of where the case went (routed or re-routed)."""
    for entry in reversed(timeline):
        if entry["action"] in ("routed", "rerouted") and entry["detail"].get("explanation"):
            return str(entry["detail"]["explanation"])
    return None


def _follow_up(session: Session, case_id: int) -> dict[str, Any] | None:
    """The case's follow-up question and its answer, as fields of the case."""
    f = followups.of_case(session, case_id=case_id)
    if f is None:
        return None
    return {
        "status": f.status, "due_at": f.due_at, "sent_at": f.sent_at,
        "answered_at": f.answered_at, "score": f.score, "scale": f.scale,
        "satisfied": f.satisfied, "detractor_before": f.detractor, "reason": f.reason,
    }  # fmt: skip
