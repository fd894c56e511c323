"""A customer's answer ends the wait: a new response of theirs resumes their waiting cases.

The only way a customer's reply reaches cxloop is a new survey response, so a response from the
same respondent (id or email), given after a case began waiting on them, counts as the answer.
It runs in the routing transaction of that response, which is claimed once, so a redelivered
routing task resumes nothing twice; a case already resumed is no longer waiting.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from shared import pause
from shared.enums import CaseStatus
from shared.models import Case, CaseEvent, Response, UTCDateTime
from shared.sla import SlaRules, first_policy

log = logging.getLogger(__name__)
ACTOR = "router"


def _waiting_query(by_id: bool, by_email: bool) -> Select[Any]:
    same = [Response.respondent_id == bindparam("respondent_id")] if by_id else []
    same += [Response.respondent_email == bindparam("respondent_email")] if by_email else []
    return (
        select(Case.id)
        .join(Response, Response.id == Case.response_id)
        .where(
            or_(*same),
            Case.status == CaseStatus.WAITING,
            Case.paused_at <= bindparam("submitted_at", type_=UTCDateTime()),
            Case.response_id != bindparam("reply_id"),
        )
        .order_by(Case.id)
        .with_for_update(of=Case)
    )


# Built once, like the other routing statements: every routed response runs one, and it rarely
# finds a case, so building it (and loading cases through the ORM) cost more than running it.
_WAITING = {(i, e): _waiting_query(i, e) for i, e in ((True, False), (False, True), (True, True))}


def resume_on_reply(session: Session, *, reply: Any, rules: SlaRules, now: datetime) -> list[int]:
    """Resume the respondent's cases waiting on them since before the reply; return their ids.

    `reply` is the new response's routing row: id, respondent_id, respondent_email, submitted_at.
    """
    if not (reply.respondent_id or reply.respondent_email):
        return []
    query = _WAITING[(bool(reply.respondent_id), bool(reply.respondent_email))]
    params = {
        "respondent_id": reply.respondent_id, "respondent_email": reply.respondent_email,
        "submitted_at": reply.submitted_at, "reply_id": reply.id,
    }  # fmt: skip
    ids: list[int] = list(session.connection().execute(query, params).scalars())
    if not ids:
        return []
    for case in session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)):
        _resume(session, case=case, rules=rules, reply_id=reply.id, now=now)
    log.info("customer replied; cases resumed", extra={"response_id": reply.id, "case_ids": ids})
    return ids


def _resume(session: Session, *, case: Case, rules: SlaRules, reply_id: int, now: datetime) -> None:
    policy = first_policy(rules.policies, priority=case.priority, touchpoint=case.touchpoint)
    team = case.team or rules.receiver_teams.get(case.owner)
    resumption = pause.resume(
        paused_at=case.paused_at or now, now=now, resolve_due_at=case.resolve_due_at,
        paused_seconds=case.paused_seconds,
        hours=rules.hours_of(policy, team) if policy is not None else None,
    )  # fmt: skip
    updates = pause.resumed_updates(resumption)
    before = {name: _plain(getattr(case, name)) for name in updates}
    for name, value in updates.items():
        setattr(case, name, value)
    case.updated_at = now
    detail = {
        "before": before,
        "after": {name: _plain(value) for name, value in updates.items()},
        "reply_response_id": reply_id,
        **pause.resumed_words(resumption),
    }
    session.add(CaseEvent(case_id=case.id, at=now, actor=ACTOR, action="resume", detail=detail))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
