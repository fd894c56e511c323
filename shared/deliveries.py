"""Put failed deliveries back in line: the desk's retry button and `cxloop deliveries retry`.

Both the desk and the notifier's command line change these rows, so the rule lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.enums import DeliveryStatus
from shared.models import CaseEvent, Delivery


def requeue_failed(
    session: Session,
    *,
    now: datetime,
    actor: str,
    delivery_ids: Sequence[int] = (),
    case_id: int | None = None,
    all_failed: bool = False,
) -> list[int]:
    """Make the chosen failed deliveries pending and due now, with a fresh retry budget.

    Only `failed` ones move: a sent alert is never sent again this way. The caller commits and
    then enqueues the returned ids (the delivery sweep covers a broker outage).
    """
    query = select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
    if delivery_ids:
        query = query.where(Delivery.id.in_(list(delivery_ids)))
    if case_id is not None:
        query = query.where(Delivery.case_id == case_id)
    if not (delivery_ids or case_id is not None or all_failed):
        return []
    chosen = list(session.scalars(query.order_by(Delivery.id).with_for_update()))
    requeued = []
    for delivery in chosen:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.FAILED)
            .values(status=DeliveryStatus.PENDING, due_at=now, retry_from=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue
        requeued.append(delivery.id)
        detail = {
            "delivery_id": delivery.id,
            "receiver": delivery.receiver,
            "channel": delivery.channel,
            "target": delivery.target,
            "last_error": delivery.last_error,
        }
        session.add(
            CaseEvent(
                case_id=delivery.case_id,
                at=now,
                actor=actor,
                action="delivery_requeued",
                detail=detail,
            )
        )
    return requeued
