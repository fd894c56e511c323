"""The one message every channel receives: an alert about a case, as plain immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.enums import DeliveryKind


@dataclass(frozen=True)
class Score:
    """One survey score as shown to an owner, e.g. NPS 3 out of 10."""

    name: str
    value: int
    scale: str

    def __str__(self) -> str:
        return f"{self.name} {self.value}{self.scale}"


@dataclass(frozen=True)
class Move:
    """A case moved by a touchpoint correction: from where, to where, and who asked."""

    from_touchpoint: str
    to_touchpoint: str
    from_owner: str
    to_owner: str
    by: str

    def sentence(self, kind: str) -> str:
        """Say what the move means for the receiver of this kind of alert."""
        if kind == DeliveryKind.REROUTED:
            return (
                f"This case moved away from you: {self.by} corrected its touchpoint from "
                f"{self.from_touchpoint} to {self.to_touchpoint}, so it now belongs to "
                f"{self.to_owner}. Nothing more is needed from you."
            )
        return (
            f"This case was moved to you: {self.by} corrected its touchpoint from "
            f"{self.from_touchpoint} to {self.to_touchpoint} (it was with {self.from_owner})."
        )


@dataclass(frozen=True)
class Alert:
    """An alert to one receiver about one case; customer text in it is untrusted."""

    delivery_id: int
    case_id: int
    kind: str
    step: int
    receiver: str
    channel: str
    touchpoint: str
    priority: str
    scores: tuple[Score, ...]
    comment: str
    reasons: tuple[str, ...]
    respondent_name: str
    respondent_email: str
    source: str
    case_url: str
    created_at: datetime
    polarity: float | None = None
    move: Move | None = None  # set when a touchpoint correction caused this alert

    @property
    def headline(self) -> str:
        """One line naming what happened, used as email subject and Slack header."""
        tag = f"[{self.priority.upper()}]"
        move = self.move
        if move is not None and self.kind == DeliveryKind.REROUTED:
            return f"{tag} Case #{self.case_id} moved to {move.to_owner} ({move.to_touchpoint})"
        if move is not None:
            return (
                f"{tag} Case #{self.case_id} moved to you "
                f"({move.from_touchpoint} → {move.to_touchpoint})"
            )
        what = (
            "New case" if self.kind == DeliveryKind.ASSIGNMENT else f"Escalation {self.step}, case"
        )
        return f"{tag} {what} #{self.case_id} ({self.touchpoint})"

    @property
    def move_text(self) -> str:
        """The move in words for this receiver, or nothing when the case did not move."""
        return self.move.sentence(self.kind) if self.move is not None else ""

    @property
    def respondent(self) -> str:
        """Who answered, as well as we know it."""
        if self.respondent_name and self.respondent_email:
            return f"{self.respondent_name} <{self.respondent_email}>"
        return self.respondent_name or self.respondent_email or "anonymous"

    @property
    def scores_text(self) -> str:
        """All scores on one line, or a dash when the response had only a comment."""
        return ", ".join(str(s) for s in self.scores) or "-"
