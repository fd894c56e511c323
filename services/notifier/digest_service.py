"""Digest rows on the notifier's side: claimed once under a lease, then their outcome recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from shared.enums import DeliveryStatus
from shared.models import DigestSend


def claim(session: Session, *, send_id: int, now: datetime, lease: timedelta) -> DigestSend | None:
    """Take the row for this worker until now+lease; None if sent, failed or not due."""
    result = session.execute(
        update(DigestSend)
        .where(
            DigestSend.id == send_id,
            DigestSend.due_at <= now,
            or_(
                DigestSend.status == DeliveryStatus.PENDING,
                and_(DigestSend.status == DeliveryStatus.SENDING, DigestSend.lease_until < now),
            ),
        )
        .values(status=DeliveryStatus.SENDING, lease_until=now + lease,
                attempts=DigestSend.attempts + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        select(DigestSend).where(DigestSend.id == send_id).execution_options(populate_existing=True)
    ).one()


def finish(
    session: Session, *, send_id: int, status: str, now: datetime, error: str | None = None,
    due_at: datetime | None = None,
) -> None:  # fmt: skip
    """Record an attempt's outcome on a row this worker holds: sent, failed, or pending again."""
    values: dict[str, object] = {"status": status, "lease_until": None, "last_error": error}
    if status == DeliveryStatus.SENT:
        values["sent_at"] = now
    if due_at is not None:
        values["due_at"] = due_at
    session.execute(
        update(DigestSend)
        .where(DigestSend.id == send_id, DigestSend.status == DeliveryStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
