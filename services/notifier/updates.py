"""Update posted Slack alerts in place once someone acts on their case.

A click in Slack replaces the clicked message through Slack's `response_url`; an action taken
anywhere else (the desk's pages or API, an email link), and every other message about the same
case, is brought up to date here with chat.update: the case's "who did what" lines and only the
buttons its status still allows. Only messages the bot posted can be edited (chat.postMessage
answers their channel and ts, kept as `deliveries.message_ref`); Slack gives an incoming
webhook's post no id, so those stay as sent, and a stale button there is refused privately.
Every update is rebuilt from the case as it is now, so a repeated or late task is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from services.notifier import alert_content
from services.notifier.channels import PermanentError, TransientError
from services.notifier.channels.slack import SlackChannel
from services.notifier.formatting import slack_message
from shared import alert_actions as aa
from shared.db import transaction
from shared.enums import DeliveryKind, DeliveryStatus
from shared.models import Case, Delivery
from shared.routes_file import RoutesFileError, touchpoint_names
from shared.settings import Settings

log = logging.getLogger(__name__)
EDITABLE_KINDS = (DeliveryKind.ASSIGNMENT, DeliveryKind.ESCALATION, DeliveryKind.ASSIGNED)


@dataclass(frozen=True)
class Update:
    """One posted message and what it should show now."""

    delivery_id: int
    ref: str
    payload: dict[str, Any]


def posted(session: Session, *, case_id: int) -> list[Delivery]:
    """Return the case's sent Slack alerts that can be edited and still concern its receiver."""
    return list(
        session.scalars(
            select(Delivery)
            .where(
                Delivery.case_id == case_id,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.message_ref.is_not(None),
                # About this case alone: "moved away from you" needs nothing, and an incident
                # alert speaks for a group of cases (its own updates say how the group grows).
                Delivery.kind.in_(EDITABLE_KINDS),
            )
            .options(joinedload(Delivery.case).joinedload(Case.response))
            .order_by(Delivery.id)
        )
    )


def pending_updates(session: Session, settings: Settings, *, case_id: int) -> list[Update]:
    """Build the new content of every editable Slack alert about the case."""
    deliveries = posted(session, case_id=case_id)
    if not deliveries:
        return []
    try:
        touchpoints = touchpoint_names(settings.routes_file)
    except RoutesFileError:
        touchpoints = ()
    lines = aa.story_lines(session, deliveries[0].case)
    updates = []
    for delivery in deliveries:
        alert = alert_content.build_alert(
            delivery,
            public_url=settings.public_url,
            move=alert_content.move_of(session, delivery),
            assignment=alert_content.assignment_of(session, delivery),
            touchpoints=touchpoints,
        )
        payload = slack_message(alert)
        blocks = payload["blocks"]
        payload["blocks"] = aa.updated_blocks(blocks[:-1], lines, blocks[-1])
        assert delivery.message_ref is not None  # selected for having one
        updates.append(Update(delivery.id, delivery.message_ref, payload))
    return updates


def refresh(sessions: sessionmaker[Session], settings: Settings, case_id: int) -> float | None:
    """Update the case's editable Slack alerts; return a delay to try again after, or None.

    A message Slack refuses to edit (deleted, channel archived) is logged and left; the others
    are still updated. A transient failure asks for another try of the whole (harmless) set.
    """
    if not settings.slack_token:  # without the bot token nothing was posted by the bot
        return None
    with transaction(sessions) as session:
        updates = pending_updates(session, settings, case_id=case_id)
    channel = SlackChannel(settings)
    retry: float | None = None
    for update in updates:
        ids = {"case_id": case_id, "delivery_id": update.delivery_id}
        try:
            channel.update(update.ref, update.payload)
        except TransientError as exc:
            log.warning("cannot update a Slack alert yet: %s", exc, extra=ids)
            retry = max(retry or 0.0, exc.retry_after or settings.retry_backoff_s)
        except PermanentError as exc:
            log.warning("Slack refused to update an alert: %s", exc, extra=ids)
    return retry
