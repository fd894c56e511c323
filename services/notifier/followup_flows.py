"""Send one "did we fix it?" question: claim it, ask through its channel, record the outcome.

A question is claimed in one transaction (skipped there, with its reason, when the customer
opted out, was asked recently or was never reached) and sent after that commit. A redelivered
task finds it sent and does nothing; a failed send goes back to the schedule with a backoff,
and the sweep picks it up again, so a transient outage loses no question. After the delivery
budget (CXLOOP_DELIVERY_BUDGET_S) of failures it is marked failed, on the case's timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.notifier.channels import PermanentError, TransientError
from services.notifier.followups import Question, channel_for
from services.notifier.setbacks import backoff
from shared.db import transaction
from shared.followups import links
from shared.followups import service as followups
from shared.followups.config import FollowUpConfig, load_follow_up
from shared.secret_files import MissingSecretKey, secret_key
from shared.settings import Settings

log = logging.getLogger(__name__)
SWEEP_BATCH = 200


def question(
    request: followups.Request, config: FollowUpConfig, settings: Settings, secret: str
) -> Question:
    """The message a channel sends: the wording from desk.yml and the two signed links."""
    base = settings.public_url.rstrip("/") + "/follow-up/"
    answer = links.sign(secret, follow_up_id=request.follow_up_id, kind=links.ANSWER)
    opt_out = links.sign(secret, follow_up_id=request.follow_up_id, kind=links.OPT_OUT)
    return Question(
        follow_up_id=request.follow_up_id, case_id=request.case_id, to=request.email,
        name=request.name, sender=config.sender or settings.smtp_from, subject=config.subject,
        question=config.question, choices=config.choices, answer_url=base + answer,
        opt_out_url=f"{base}{opt_out}/opt-out",
    )  # fmt: skip


def send(
    sessions: sessionmaker[Session], settings: Settings, follow_up_id: int, *, now: datetime
) -> str:
    """Make one attempt at a follow-up; return what happened, in one word."""
    config = load_follow_up(settings.desk_file)
    ids = {"follow_up_id": follow_up_id}
    try:
        with transaction(sessions) as session:
            request = followups.claim(
                session, follow_up_id=follow_up_id, now=now,
                lease=timedelta(seconds=settings.delivery_lease_s), config=config,
            )  # fmt: skip
    except IntegrityError:
        log.info("another question to this customer was claimed at the same moment", extra=ids)
        return "busy"  # the sweep tries again, and then sees that customer was just asked
    if request is None:
        return "skipped"
    ids["case_id"] = request.case_id
    try:
        channel = channel_for(settings, config.channel)
        reason = channel.unavailable()
        if reason is not None:
            raise PermanentError(reason)  # not configured: say so on the case, do not retry
        channel.send(question(request, config, settings, secret_key(settings)))
    except (PermanentError, MissingSecretKey) as exc:
        with transaction(sessions) as session:
            followups.mark_failed(session, follow_up_id=follow_up_id, now=now, error=str(exc))
        log.error("follow-up refused for good: %s", exc, extra=ids)
        return "failed"
    except TransientError as exc:
        spent = (now - request.first_attempt_at).total_seconds()
        if spent >= settings.delivery_budget_s:
            error = f"gave up after {request.attempt} attempts in {spent:.0f}s: {exc}"
            with transaction(sessions) as session:
                followups.mark_failed(session, follow_up_id=follow_up_id, now=now, error=error)
            log.error("follow-up not sent: %s", error, extra=ids)
            return "failed"
        delay = backoff(request.attempt, base=settings.retry_backoff_s,
                        cap=settings.retry_backoff_max_s, retry_after=exc.retry_after)  # fmt: skip
        with transaction(sessions) as session:
            followups.mark_retry(session, follow_up_id=follow_up_id,
                                 due_at=now + timedelta(seconds=delay), error=str(exc))  # fmt: skip
        log.warning("follow-up not sent, retrying in %.1fs: %s", delay, exc, extra=ids)
        return "retry"
    with transaction(sessions) as session:
        followups.mark_sent(session, follow_up_id=follow_up_id, now=now)
    log.info("follow-up question sent", extra=ids)
    return "sent"


def sweep(sessions: sessionmaker[Session], *, now: datetime) -> Sequence[int]:
    """Return the follow-ups to send now."""
    with transaction(sessions) as session:
        return followups.due(session, now=now, limit=SWEEP_BATCH)
