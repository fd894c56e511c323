"""Per-request access to the desk's resources: settings, config, database session, clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from celery import Celery
from flask import current_app, g
from kombu.exceptions import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import DeskConfig, desk_config
from services.desk.throttle import LoginThrottle
from shared import task_names
from shared.models import utcnow
from shared.settings import Settings

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


def notify(delivery_ids: list[int]) -> None:
    """Send deliveries to the notifier after commit; the notifier's sweep covers a broker outage."""
    for delivery_id in delivery_ids:
        try:
            desk().celery.send_task(task_names.DELIVER, args=[delivery_id])
        except OperationalError:
            log.warning(
                "broker unavailable; the sweep will send it", extra={"delivery_id": delivery_id}
            )
