"""Data access for follow-ups: schedule at resolution, claim to send, record answers and opt-outs.

Every change to a follow-up also writes a case event, so the answer lands on the case timeline.
Functions take the session first and keyword-only arguments; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import column, exists, or_, select, table
from sqlalchemy.orm import Session

from shared.followups import policy
from shared.followups.config import FollowUpConfig
from shared.followups.models import FollowUp, FollowUpCustomer, FollowUpStatus
from shared.models import Case, CaseEvent, Response

S = FollowUpStatus
# The desk's contacts, read by table name: shared code does not import a service's models.
_contacts = table("desk_contacts", column("case_id"), column("outcome"))


class NotOpen(Exception):
    """The follow-up takes no answer now: answered already, never sent, or skipped."""

    def __init__(self, status: str) -> None:
        super().__init__(f"this question was {status}" if status else "no such question")
        self.status = status


@dataclass(frozen=True)
class Request:
    """One follow-up to send: who to ask and about which case."""

    follow_up_id: int
    case_id: int
    email: str
    name: str
    scale: str
    attempt: int
    first_attempt_at: datetime


def event(session: Session, *, case_id: int, action: str, actor: str, now: datetime,
          detail: dict[str, Any]) -> None:  # fmt: skip
    """Write a follow-up's timeline entry on its case."""
    session.add(CaseEvent(case_id=case_id, at=now, actor=actor, action=action, detail=detail))


def of_case(session: Session, *, case_id: int) -> FollowUp | None:
    """Return the follow-up of a case, if it has one."""
    return session.scalar(select(FollowUp).where(FollowUp.case_id == case_id))


def schedule(
    session: Session, *, case: Case, config: FollowUpConfig, now: datetime
) -> FollowUp | None:
    """Plan the case's follow-up at its resolution; one per case, never a second question.

    A case resolved again before its question went out is asked after the new resolution.
    """
    if not config.enabled:
        return None
    follow_up = of_case(session, case_id=case.id)
    if follow_up is not None and follow_up.status in (S.SENDING, S.SENT, S.ANSWERED):
        return follow_up
    response = case.response
    detractor = policy.is_detractor(nps=response.nps, csat=response.csat, ces=response.ces)
    if follow_up is None:
        follow_up = FollowUp(case_id=case.id, created_at=now)
        session.add(follow_up)
    follow_up.status, follow_up.due_at, follow_up.reason = S.SCHEDULED, now + config.delay, None
    follow_up.channel, follow_up.scale = config.channel, config.scale
    follow_up.detractor = detractor
    session.flush()
    return follow_up


def due(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Return the follow-ups to send now: due ones, and claims whose worker vanished."""
    query = select(FollowUp.id).where(
        or_(
            (FollowUp.status == S.SCHEDULED) & (FollowUp.due_at <= now),
            (FollowUp.status == S.SENDING) & (FollowUp.lease_until <= now),
        )
    )
    return list(session.scalars(query.order_by(FollowUp.due_at).limit(limit)))


def _customers(session: Session, keys: tuple[str, ...]) -> dict[str, FollowUpCustomer]:
    query = select(FollowUpCustomer).where(FollowUpCustomer.key.in_(keys)).with_for_update()
    return {c.key: c for c in session.scalars(query)} if keys else {}


def _keys(response: Response) -> tuple[str, ...]:
    return policy.customer_keys(response.respondent_email, response.source, response.respondent_id)


def claim(
    session: Session,
    *,
    follow_up_id: int,
    now: datetime,
    lease: timedelta,
    config: FollowUpConfig,
) -> Request | None:
    """Take a due follow-up for sending, or skip it with a reason; None when nothing to send.

    The customer's rows are locked and stamped "asked now" before the send, so two cases of
    one customer resolved together still make one question.
    """
    follow_up = session.scalar(
        select(FollowUp).where(FollowUp.id == follow_up_id).with_for_update(of=FollowUp)
    )
    if follow_up is None or not _due(follow_up, now):
        return None  # sent, answered or skipped already (a redelivered task), or not due yet
    case = session.get(Case, follow_up.case_id)
    assert case is not None
    response = case.response
    reached = session.scalar(
        select(exists().where(_contacts.c.case_id == case.id, _contacts.c.outcome == "reached"))
    )
    keys = _keys(response)
    customers = _customers(session, keys)
    reason = policy.skip_reason(
        follow_up_id=follow_up.id, status=case.status, reached=bool(reached),
        email=response.respondent_email,
        customers=[policy.Customer(c.opted_out_at, c.last_asked_at, c.last_follow_up_id)
                   for c in customers.values()],
        now=now, min_days_between=config.min_days_between, enabled=config.enabled,
    )  # fmt: skip
    if reason is not None:
        follow_up.status, follow_up.reason, follow_up.lease_until = S.SKIPPED, reason, None
        event(session, case_id=case.id, action="follow_up_skipped", actor="notifier", now=now,
              detail={"reason": reason})  # fmt: skip
        return None
    for key in keys:
        customer = customers.get(key) or FollowUpCustomer(key=key)
        customer.last_asked_at, customer.last_follow_up_id = now, follow_up.id
        customer.updated_at = now
        session.add(customer)
    email = str(response.respondent_email).strip()
    follow_up.status, follow_up.lease_until, follow_up.target = S.SENDING, now + lease, email
    follow_up.attempts += 1
    follow_up.first_attempt_at = follow_up.first_attempt_at or now
    session.flush()  # a concurrent first question to a new customer fails here on the key
    return Request(follow_up.id, case.id, email, response.respondent_name or "",
                   follow_up.scale, follow_up.attempts, follow_up.first_attempt_at)  # fmt: skip


def _due(follow_up: FollowUp, now: datetime) -> bool:
    if follow_up.status == S.SCHEDULED:
        return follow_up.due_at <= now
    return follow_up.status == S.SENDING and (follow_up.lease_until or now) <= now


def mark_sent(session: Session, *, follow_up_id: int, now: datetime) -> bool:
    """Record that the question went out; False if another attempt recorded it first."""
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=True)
    if follow_up is None or follow_up.status != S.SENDING:
        return False
    follow_up.status, follow_up.sent_at, follow_up.lease_until = S.SENT, now, None
    follow_up.last_error = None
    event(session, case_id=follow_up.case_id, action="follow_up_sent", actor="notifier", now=now,
          detail={"channel": follow_up.channel, "to": follow_up.target})  # fmt: skip
    return True


def mark_retry(session: Session, *, follow_up_id: int, due_at: datetime, error: str) -> None:
    """Give a failed attempt back to the schedule; the sweep sends it again at `due_at`."""
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=True)
    if follow_up is not None and follow_up.status == S.SENDING:
        follow_up.status, follow_up.due_at, follow_up.lease_until = S.SCHEDULED, due_at, None
        follow_up.last_error = error[:2000]


def mark_failed(session: Session, *, follow_up_id: int, now: datetime, error: str) -> None:
    """Record that the channel refused the question for good (a bad address, say)."""
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=True)
    if follow_up is None or follow_up.status != S.SENDING:
        return
    follow_up.status, follow_up.lease_until, follow_up.last_error = S.FAILED, None, error[:2000]
    event(session, case_id=follow_up.case_id, action="follow_up_failed", actor="notifier",
          now=now, detail={"error": error[:500]})  # fmt: skip


def record_answer(
    session: Session, *, follow_up_id: int, score: int, satisfied: bool, now: datetime
) -> FollowUp:
    """Store the customer's answer on the follow-up and the case timeline, once."""
    follow_up = session.get(FollowUp, follow_up_id, with_for_update=True)
    if follow_up is None or follow_up.status != S.SENT:
        raise NotOpen(follow_up.status if follow_up is not None else "")
    follow_up.status, follow_up.answered_at = S.ANSWERED, now
    follow_up.score, follow_up.satisfied = score, satisfied
    event(session, case_id=follow_up.case_id, action="follow_up_answered", actor="customer",
          now=now, detail={"score": score, "scale": follow_up.scale, "satisfied": satisfied,
                           "detractor_before": follow_up.detractor})  # fmt: skip
    session.flush()
    return follow_up


def opt_out(session: Session, *, follow_up_id: int, now: datetime) -> bool:
    """Never ask this follow-up's customer again; False if they had opted out already."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotOpen("")
    case = session.get(Case, follow_up.case_id)
    assert case is not None
    if not opt_out_keys(session, keys=_keys(case.response), now=now):
        return False
    event(session, case_id=case.id, action="follow_up_opted_out", actor="customer", now=now,
          detail={})  # fmt: skip
    session.flush()
    return True


def opt_out_keys(session: Session, *, keys: tuple[str, ...], now: datetime) -> bool:
    """Record an opt-out under each key; False if every key had one already (nothing changes)."""
    customers = _customers(session, keys)
    if all(customers.get(k) and customers[k].opted_out_at for k in keys):
        return False
    for key in keys:
        customer = customers.get(key) or FollowUpCustomer(key=key)
        customer.opted_out_at = customer.opted_out_at or now
        customer.updated_at = now
        session.add(customer)
    session.flush()
    return True


def customers(session: Session, *, keys: tuple[str, ...]) -> list[FollowUpCustomer]:
    """Return what is recorded about a customer under these keys."""
    return list(_customers(session, keys).values())
