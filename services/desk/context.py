"""Per-request access to the desk's resources: settings, config, database session, clock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from celery import Celery
from flask import current_app, g
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import ServiceUnavailable

from services.desk.config import DeskConfig, desk_config
from services.desk.throttle import LoginThrottle
from shared import task_names
from shared.broker import send_ids
from shared.models import utcnow
from shared.routes_file import RoutesFileError, touchpoint_names
from shared.settings import Settings

if TYPE_CHECKING:
    from services.desk.flows import Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Desk:
    """What the desk's views need from the process."""

    settings: Settings
    sessions: sessionmaker[Session]
    celery: Celery
    throttle: LoginThrottle
    clock: Callable[[], datetime] = utcnow


def desk() -> Desk:
    """Return the current app's desk resources."""
    return current_app.extensions["desk"]


def config() -> DeskConfig:
    """Return the validated desk config (re-read when the file changes)."""
    return desk_config(desk().settings.desk_file)


def touchpoints() -> tuple[str, ...]:
    """Return the touchpoints a case may be moved to (the routing file's, re-read on change)."""
    try:
        return touchpoint_names(desk().settings.routes_file)
    except RoutesFileError as exc:
        log.error("cannot check a touchpoint correction", extra={"error": str(exc)})
        raise ServiceUnavailable("the routing file cannot be read; try again later") from exc


def touchpoint_choices() -> tuple[str, ...]:
    """The same for showing a case: an unreadable routing file only hides the correction form."""
    try:
        return touchpoints()
    except ServiceUnavailable:
        return ()


def now() -> datetime:
    """Return the current time from the app's clock (tests inject their own)."""
    return desk().clock()


def db() -> Session:
    """Return this request's database session, opened on first use."""
    if "desk_db" not in g:
        g.desk_db = desk().sessions()
    return g.desk_db


def close_db(_error: BaseException | None = None) -> None:
    """Close the request's session at the end of the request."""
    session = g.pop("desk_db", None)
    if session is not None:
        session.close()


def notify(delivery_ids: Sequence[int]) -> None:
    """Send deliveries to the notifier after commit; the notifier's sweep covers a broker outage."""
    _send(task_names.DELIVER, delivery_ids)


def reroute(correction_ids: Sequence[int]) -> None:
    """Ask the router to apply corrections after commit; its sweep covers a broker outage."""
    _send(task_names.REROUTE_CASE, correction_ids)


def after_commit(outcome: Outcome) -> None:
    """After an action's commit: send its alerts and corrections, and update its Slack posts."""
    notify(outcome.deliveries)
    reroute(outcome.corrections)
    if outcome.refresh:
        _send(task_names.REFRESH_ALERTS, [outcome.case.id])


def _send(name: str, ids: Sequence[int]) -> None:
    send_ids(desk().celery, name, ids)
