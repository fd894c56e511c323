"""Router persistence for responses: claim one to route, count a respondent's recent cases,
record the decision, and find the responses whose routing task was lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from services.router.decision import RoutingOutcome
from services.router.severity import RECENT_CASES_COUNTED
from shared.enums import CaseStatus
from shared.models import Case, JSONType, Response, UTCDateTime

_ROUTING_FIELDS = (
    Response.id, Response.source, Response.external_id, Response.touchpoint, Response.nps,
    Response.csat, Response.ces, Response.comment, Response.attributes, Response.respondent_id,
    Response.respondent_email, Response.submitted_at, Response.received_at,
    Response.raw["historical"].as_boolean().label("historical"),
)  # fmt: skip


def generic_form(response: Response | Row[Any]) -> dict[str, Any]:
    """Return a stored response (a row or its routing fields) in the generic form."""
    return {
        "source": response.source,
        "response_id": response.external_id,
        "touchpoint": response.touchpoint,
        "scores": {"nps": response.nps, "csat": response.csat, "ces": response.ces},
        "comment": response.comment or "",
        "attributes": dict(response.attributes or {}),
    }


def get_response(session: Session, *, response_id: int) -> Response | None:
    """Return a stored response by row id."""
    return session.get(Response, response_id)


def _recent_query(by_id: bool, by_email: bool) -> Select[Any]:
    same = [Response.respondent_id == bindparam("respondent_id")] if by_id else []
    same += [Response.respondent_email == bindparam("respondent_email")] if by_email else []
    # Counted up to a cap: a shared id or address ("unknown", a team mailbox) may hold thousands
    # of cases, and every one of its responses would count them all.
    others = (
        select(Case.id)
        .join(Response, Case.response_id == Response.id)
        .where(
            or_(*same),
            Response.id != bindparam("response_id"),
            Response.submitted_at.between(bindparam("earliest"), bindparam("latest")),
        )
        .limit(RECENT_CASES_COUNTED)
    )
    return select(func.count()).select_from(others.subquery())


# The routing statements are built once: building them cost more CPU than running them.
_RECENT = {(i, e): _recent_query(i, e) for i, e in ((True, False), (False, True), (True, True))}


def recent_cases(
    session: Session, *, response_id: int, respondent_id: str | None,
    respondent_email: str | None, submitted_at: datetime, window: timedelta,
) -> int:  # fmt: skip
    """Count the other cases of the same respondent (id or email) submitted within the window,
    up to RECENT_CASES_COUNTED.

    Either side of submitted_at: responses are not always routed in the order they were given.
    Anonymous responses and a zero window count nothing, without a query.
    """
    if not (respondent_id or respondent_email) or window <= timedelta(0):
        return 0
    query = _RECENT[(bool(respondent_id), bool(respondent_email))]
    params = {
        "respondent_id": respondent_id, "respondent_email": respondent_email,
        "response_id": response_id, "earliest": submitted_at - window,
        "latest": submitted_at + window,
    }  # fmt: skip
    return int(session.connection().execute(query, params).scalar() or 0)


def respondents_with_cases(
    session: Session, rows: Sequence[Row[Any]], *, window: timedelta
) -> set[tuple[str, str]]:
    """Which respondents of these routing rows, as ("id", x) and ("email", y), have a case that
    `recent_cases` could count (submitted within the window of one of the rows) or that
    `resume_on_reply` could resume (waiting): one statement for a batch, so that the two
    statements per response run only for the few respondents seen before."""
    ids = sorted({row.respondent_id for row in rows if row.respondent_id})
    emails = sorted({row.respondent_email for row in rows if row.respondent_email})
    if not (ids or emails):
        return set()
    times = [row.submitted_at for row in rows if row.respondent_id or row.respondent_email]
    params = {"ids": ids, "emails": emails, "earliest": min(times) - max(window, timedelta(0)),
              "latest": max(times) + max(window, timedelta(0))}  # fmt: skip
    found = session.connection().execute(_KNOWN[(bool(ids), bool(emails))], params).all()
    return {("id", i) for i, _ in found if i} | {("email", e) for _, e in found if e}


def respondent_keys(row: Row[Any]) -> set[tuple[str, str]]:
    """A routing row's respondent as `respondents_with_cases` names them."""
    keys = {("id", row.respondent_id)} if row.respondent_id else set()
    return keys | ({("email", row.respondent_email)} if row.respondent_email else set())


def _known_query(by_id: bool, by_email: bool) -> Select[str | None, str | None]:
    same = [Response.respondent_id.in_(bindparam("ids", expanding=True))] if by_id else []
    same += [Response.respondent_email.in_(bindparam("emails", expanding=True))] if by_email else []
    return (
        select(Response.respondent_id, Response.respondent_email)
        .distinct()
        .join(Case, Case.response_id == Response.id)
        .where(
            or_(*same),
            or_(
                Case.status == CaseStatus.WAITING,
                Response.submitted_at.between(bindparam("earliest"), bindparam("latest")),
            ),
        )
    )


_KNOWN = {(i, e): _known_query(i, e) for i, e in ((True, False), (False, True), (True, True))}


def claim_all_unrouted(
    session: Session, *, response_ids: Sequence[int], now: datetime
) -> list[Row[Any]]:
    """Mark the never-routed ones of these responses routed and return their routing fields; the
    ones not returned were routed before (or do not exist).

    Called first in the routing transaction: the UPDATE takes the row locks (the write lock on
    SQLite), so two workers handed the same response run one after the other, and the second
    finds it routed already. One statement for a whole batch, instead of a read and a write per
    response. A deadlock with another worker's claim fails the batch, which is then routed one
    response at a time (`batch.route_batch`).
    """
    params = {"claimed_ids": list(response_ids), "claimed_at": now}
    return list(session.connection().execute(_CLAIM_ALL, params))


_CLAIM_ALL = (
    update(Response)
    .where(Response.id.in_(bindparam("claimed_ids", expanding=True)), Response.routed_at.is_(None))
    .values(routed_at=bindparam("claimed_at", type_=UTCDateTime()), routing_error=None)
    .returning(*_ROUTING_FIELDS)
)


def unrouted_responses(
    session: Session, *, now: datetime, grace: timedelta, limit: int, overdue_limit: int
) -> list[int]:
    """Claim responses never routed whose task was never sent or is overdue; return their ids.

    Never-sent ones come first. Overdue ones (sent longer than grace ago), oldest first, are
    capped by overdue_limit: while the router's queue has a backlog most of them are only
    waiting in it, and re-sending them all would add duplicate work exactly under overload.
    Their enqueued_at is set to now, so the next sweep waits another grace period for them.
    """
    unrouted = Response.routed_at.is_(None)
    ids = list(
        session.scalars(
            select(Response.id)
            .where(unrouted, Response.enqueued_at.is_(None))
            .order_by(Response.id)
            .limit(limit)
        )
    )
    room = min(limit - len(ids), overdue_limit)
    if room > 0:
        ids += session.scalars(
            select(Response.id)
            .where(unrouted, Response.enqueued_at < now - grace)
            .order_by(Response.enqueued_at, Response.id)
            .limit(room)
        )
    if ids:
        session.execute(
            update(Response)
            .where(Response.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def decision_of(outcome: RoutingOutcome) -> dict[str, Any]:
    """The part of an outcome kept on the response: what was decided, and why in words."""
    return {
        "dissatisfied": outcome.dissatisfied,
        "reasons": list(outcome.reasons),
        "priority": outcome.priority,
        "touchpoint": outcome.touchpoint,
        "touchpoint_source": outcome.touchpoint_source,
        "polarity": round(outcome.polarity, 4),
        "language": outcome.language,
        "analysed": outcome.analysed,
        "receivers": list(outcome.receivers),
        "explanation": outcome.explanation,
        "disagreement": outcome.disagreement,
    }


def decision_params(response_id: int, outcome: RoutingOutcome) -> dict[str, Any]:
    """What `record_decisions` stores for one response, whether or not it became a case."""
    return {"decided_id": response_id, "decided": decision_of(outcome)}


def record_decisions(session: Session, params: Sequence[dict[str, Any]]) -> None:
    """Store decisions on their responses: one statement for a whole batch."""
    if params:
        session.connection().execute(_RECORD_DECISION, list(params))


_RECORD_DECISION = (
    update(Response)
    .where(Response.id == bindparam("decided_id"))
    .values(decision=bindparam("decided", type_=JSONType))
)
