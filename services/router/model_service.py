"""Touchpoint model persistence: corrections and confirmations as training data, versions,
activation, rollback.

A confirmation is a case the router routed (its touchpoint detected, or the default) that was
resolved or closed and never corrected: its owner dealt with it where the router sent it.
Imported history (closed on arrival, nobody looked at it) is not one.
Training reads the examples in one short transaction, fits outside any transaction (it takes
seconds, and SQLite would hold its write lock all that time), and records the version in a
second one that first checks nobody recorded one from the same corrections meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.router.config import RouterConfig
from services.router.gate import Verdict, train_and_judge
from services.router.learning import Blended, Detector, Example, LearntModel, classes_of
from services.router.service import HISTORICAL_NOTE
from shared.db import transaction
from shared.enums import ROUTED_TOUCHPOINT_SOURCES, CaseStatus, ModelStatus
from shared.models import Case, Response, TouchpointCorrection, TouchpointModel

log = logging.getLogger(__name__)

MAX_CONFIRMATIONS = 5_000  # the newest; keeps a retraining to seconds on a long-lived deployment
CONFIRMING_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


@dataclass(frozen=True)
class TrainingSet:
    """The corrections a version is trained and judged on, up to `last_correction_id`."""

    examples: list[Example]
    last_correction_id: int
    new: int  # corrections since the newest version


def training_set(session: Session) -> TrainingSet:
    """Return every case's latest correction as an example (a case corrected twice counts once)."""
    rows = session.execute(
        select(TouchpointCorrection.case_id, TouchpointCorrection.comment,
               TouchpointCorrection.to_touchpoint, TouchpointCorrection.id)
        .order_by(TouchpointCorrection.id)
    ).all()  # fmt: skip
    latest = {case_id: Example(comment, touchpoint) for case_id, comment, touchpoint, _ in rows}
    last_id = rows[-1].id if rows else 0
    seen = session.scalar(select(func.max(TouchpointModel.last_correction_id))) or 0
    new = sum(1 for row in rows if row.id > seen)
    return TrainingSet([e for e in latest.values() if e.text.strip()], last_id, new)


def confirmations(session: Session, *, limit: int = MAX_CONFIRMATIONS) -> list[Example]:
    """Return the newest resolved or closed cases the router routed and nobody corrected, each
    labelled with the touchpoint it was routed to."""
    corrected = exists().where(TouchpointCorrection.case_id == Case.id)
    rows = session.execute(
        select(Response.comment, Case.touchpoint)
        .join(Response, Response.id == Case.response_id)
        .where(
            Case.status.in_(CONFIRMING_STATUSES),
            Case.touchpoints["source"].as_string().in_(ROUTED_TOUCHPOINT_SOURCES),
            func.trim(Response.comment) != "",
            Case.resolution_note.is_distinct_from(HISTORICAL_NOTE),
            ~corrected,
        )
        .order_by(Case.id.desc())
        .limit(limit)
    ).all()  # fmt: skip
    found = (Example(comment or "", touchpoint, confirmed=True) for comment, touchpoint in rows)
    return [example for example in found if example.text.strip()]


def record(
    session: Session, *, verdict: Verdict, last_correction_id: int, now: datetime
) -> TouchpointModel | None:
    """Store a trained version, switched on if the gate said so; None if one exists already."""
    newest = session.scalar(select(func.max(TouchpointModel.last_correction_id)))
    if newest is not None and newest >= last_correction_id:
        return None
    row = TouchpointModel(
        created_at=now,
        status=ModelStatus.CANDIDATE,
        last_correction_id=last_correction_id,
        examples=verdict.model.examples,
        metrics=dict(verdict.metrics),
        payload=verdict.model.to_payload(),
    )
    session.add(row)
    session.flush()
    if verdict.activate:
        activate(session, model=row, now=now)
    else:
        row.status = ModelStatus.REJECTED
    return row


def activate(session: Session, *, model: TouchpointModel, now: datetime) -> None:
    """Switch a version on and retire the one it replaces (at most one is active)."""
    session.execute(
        update(TouchpointModel)
        .where(TouchpointModel.status == ModelStatus.ACTIVE, TouchpointModel.id != model.id)
        .values(status=ModelStatus.RETIRED)
        .execution_options(synchronize_session=False)
    )
    model.status = ModelStatus.ACTIVE
    model.activated_at = now


def retrain(
    sessions: sessionmaker[Session], *, config: RouterConfig, detector: Detector, min_new: int,
    now: datetime,
) -> TouchpointModel | None:  # fmt: skip
    """Train a version when at least `min_new` corrections arrived since the newest one; it
    learns from the corrections and the confirmations."""
    with transaction(sessions) as session:
        found = training_set(session)
        if found.new == 0 or found.new < min_new:
            return None
        examples = found.examples + confirmations(session)
    classes = classes_of([t.name for t in config.touchpoints], config.default_touchpoint)
    started = time.perf_counter()
    verdict = train_and_judge(examples, detector, classes, config.default_touchpoint)
    verdict.metrics["seconds"] = round(time.perf_counter() - started, 2)
    with transaction(sessions) as session:
        row = record(session, verdict=verdict, last_correction_id=found.last_correction_id, now=now)
    if row is not None:
        log.info(
            "touchpoint model trained",
            extra={"version": row.id, "status": row.status, **verdict.metrics},
        )
    return row


def list_models(session: Session) -> list[TouchpointModel]:
    """Return every version, newest first."""
    return list(session.scalars(select(TouchpointModel).order_by(TouchpointModel.id.desc())))


def active_model(session: Session) -> TouchpointModel | None:
    """Return the version the router blends with, if any."""
    return session.scalar(
        select(TouchpointModel).where(TouchpointModel.status == ModelStatus.ACTIVE)
    )


def rollback(
    session: Session, *, now: datetime
) -> tuple[TouchpointModel | None, TouchpointModel | None]:
    """Retire the active version and switch the previous active one back on (or none).

    The previous one is the newest older version that was once active and never rolled back;
    returns (retired, restored).
    """
    current = active_model(session)
    if current is None:
        return None, None
    current.status = ModelStatus.RETIRED
    current.metrics = {**current.metrics, "rolled_back_at": now.isoformat()}
    earlier = session.scalars(
        select(TouchpointModel)
        .where(TouchpointModel.id < current.id, TouchpointModel.activated_at.is_not(None))
        .order_by(TouchpointModel.id.desc())
    )
    previous = next((m for m in earlier if "rolled_back_at" not in m.metrics), None)
    if previous is not None:
        activate(session, model=previous, now=now)
    return current, previous


class ActiveModel:
    """The router's view of the active version: asked of the database at most every `refresh_s`.

    Routing a comment costs no query; a new version (or a rollback) is in use within
    `refresh_s`. A version trained for other touchpoints than the config's is not used.
    """

    def __init__(self, refresh_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh_s, self.clock = refresh_s, clock
        self._checked_at: float | None = None
        self._version: int | None = None
        self._model: LearntModel | None = None
        self._blended: tuple[RouterConfig, Detector, Blended] | None = None
        self._unfit: int | None = None  # the version last found not to fit the config

    def model(self, sessions: sessionmaker[Session]) -> LearntModel | None:
        """Return the active version, refreshed when `refresh_s` has passed."""
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.refresh_s:
            return self._model
        with transaction(sessions) as session:
            version = session.scalar(
                select(TouchpointModel.id).where(TouchpointModel.status == ModelStatus.ACTIVE)
            )
            if version != self._version:
                row = session.get(TouchpointModel, version) if version is not None else None
                self._model = LearntModel.from_payload(row.id, row.payload) if row else None
                self._version = version
                self._blended = None
                log.info("touchpoint model in use", extra={"version": version})
        self._checked_at = now
        return self._model

    def detector(
        self, sessions: sessionmaker[Session], config: RouterConfig, detector: Detector
    ) -> Detector:
        """Return the detector to route with: blended with the active version when it fits."""
        model = self.model(sessions)
        classes = classes_of([t.name for t in config.touchpoints], config.default_touchpoint)
        if model is None:
            return detector
        if model.classes != classes:
            if self._unfit != model.version:
                log.warning(
                    "active touchpoint model was trained for other touchpoints; not used",
                    extra={"version": model.version},
                )
                self._unfit = model.version
            return detector
        cached = self._blended
        if cached is None or cached[0] is not config or cached[1] is not detector:
            cached = (config, detector, Blended(detector, model, config.default_touchpoint))
            self._blended = cached
        return cached[2]
