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

    @property
    def headline(self) -> str:
        """One line naming what happened, used as email subject and Slack header."""
        what = (
            "New case" if self.kind == DeliveryKind.ASSIGNMENT else f"Escalation {self.step}, case"
        )
        return f"[{self.priority.upper()}] {what} #{self.case_id} ({self.touchpoint})"

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
