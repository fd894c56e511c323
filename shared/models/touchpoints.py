"""What a person taught the router about touchpoints, and the models learnt from it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.enums import ModelStatus
from shared.models.base import Base, utcnow


class TouchpointCorrection(Base):
    """The touchpoint a person says a case is really about: a labelled example of the deployment."""

    __tablename__ = "touchpoint_corrections"
    __table_args__ = (
        Index("ix_touchpoint_corrections_at", "at"),
        Index("ix_touchpoint_corrections_case", "case_id", "applied_at"),
        Index("ix_touchpoint_corrections_unapplied", "applied_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # The comment as it was routed, kept with the label so training never joins back to cases.
    comment: Mapped[str] = mapped_column(Text, default="")
    from_touchpoint: Mapped[str] = mapped_column(String(100))
    to_touchpoint: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the router once the case was re-routed; a sweep re-sends the ones still unset.
    applied_at: Mapped[datetime | None]


class TouchpointModel(Base):
    """One version of the touchpoint model learnt from corrections; at most one is active."""

    __tablename__ = "touchpoint_models"
    __table_args__ = (Index("ix_touchpoint_models_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the version number
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ModelStatus.CANDIDATE)
    # Corrections up to this id were available for training and evaluation.
    last_correction_id: Mapped[int] = mapped_column(Integer)
    examples: Mapped[int] = mapped_column(Integer)
    # Held-out accuracy of descriptions alone and of the blend, and why it was (not) switched on.
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The learnt weights as plain JSON (portable across SQLite and PostgreSQL).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    activated_at: Mapped[datetime | None]
