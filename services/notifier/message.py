"""The one message every channel receives: an alert about a case, as plain immutable values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.enums import DeliveryKind, FlushKind

GIST_LIMIT = 90  # characters of the comment quoted in a headline
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def when(moment: datetime | None) -> str:
    """A time as owners read it in an alert: 'Mon 2 Nov 2026, 13:00 UTC' (or a dash)."""
    if moment is None:
        return "-"
    at = moment.astimezone(UTC)
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M} UTC"


def gist(comment: str, limit: int = GIST_LIMIT) -> str:
    """The comment's first sentence on one line, cut at a word near the limit."""
    text = " ".join(comment.split())
    text = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut or text[: limit - 1]) + "…"


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
class IncidentNote:
    """What an incident alert reports: how many cases the group has, and a few of their words."""

    incident_id: int
    kind: str  # FlushKind: the group formed, it grew, or it is still open
    count: int
    new: int
    group: tuple[tuple[str, str], ...]  # the group_by labels and their values
    examples: tuple[str, ...]  # up to three comments; untrusted, empty for private receivers
    since: datetime

    @property
    def group_text(self) -> str:
        """The group in words: "touchpoint checkout, region eu"."""
        return ", ".join(f"{name} {value or '(none)'}" for name, value in self.group)

    @property
    def headline(self) -> str:
        """One line: which incident, how many complaints, what is new."""
        many = "complaint" if self.count == 1 else "complaints"
        if self.kind == FlushKind.UPDATE:
            return (
                f"Incident #{self.incident_id} update: {self.count} similar {many}, "
                f"{self.new} new ({self.group_text})"
            )
        if self.kind == FlushKind.REPEAT:
            return (
                f"Incident #{self.incident_id} still open: {self.count} similar {many} "
                f"({self.group_text})"
            )
        return f"Incident #{self.incident_id}: {self.count} similar {many} ({self.group_text})"


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
    ack_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    submitted_at: datetime | None = None
    # Who the customer is, as the routes file names it: ("customer id", "c-1"), ("plan", ...)
    customer: tuple[tuple[str, str], ...] = ()
    assigned_by: str = ""  # who assigned the case to this receiver on the desk (kind ASSIGNED)
    assigned_team: str = ""  # set when the case went to the receiver's team, not to them
    # The receiver takes no personal data (routes.yml `personal_data: false`): name, email,
    # attributes and comment were left out when the alert was built; the case link has them.
    private: bool = False
    status: str = ""  # the case's status when the alert was built: which actions to offer
    touchpoints: tuple[str, ...] = ()  # where "Wrong touchpoint" may move the case
    links: tuple[tuple[str, str], ...] = ()  # email: (label, signed one-click URL) per action
    incident: IncidentNote | None = None  # set: one alert for a group of cases, case_url its page

    @property
    def actionable(self) -> bool:
        """Whether the receiver can act from this alert (a case moved away needs nothing)."""
        return bool(self.status) and self.kind != DeliveryKind.REROUTED

    @property
    def who(self) -> str:
        """The respondent's standing in plain words, with the score that says so."""
        by_name = {s.name: s for s in self.scores}
        nps, csat, ces = by_name.get("NPS"), by_name.get("CSAT"), by_name.get("CES")
        if nps is not None and nps.value <= 6:
            return f"Detractor ({nps})"
        if csat is not None and csat.value <= 2:
            return f"Unhappy customer ({csat})"
        if ces is not None and ces.value >= 5:
            return f"Customer who found it hard ({ces})"
        if nps is not None:
            return f"{'Promoter' if nps.value >= 9 else 'Passive'} ({nps})"
        first = self.scores[0] if self.scores else None
        return f"Customer ({first})" if first is not None else "Customer"

    @property
    def summary(self) -> str:
        """Why this is a case, in plain words: who the customer is and what they say."""
        if self.private:
            return f"{self.who}; the comment is on the case page"
        said = gist(self.comment)
        return f'{self.who} who says "{said}"' if said else f"{self.who}, without a comment"

    @property
    def details(self) -> str:
        """The numbers behind the decision, on one line."""
        return "; ".join(self.reasons)

    @property
    def deadlines_known(self) -> bool:
        """Whether the SLA gave this case deadlines the alert can state."""
        return self.ack_due_at is not None or self.resolve_due_at is not None

    @property
    def headline(self) -> str:
        """One line naming what happened, used as email subject and Slack header."""
        if self.incident is not None:
            return f"[INCIDENT] {self.incident.headline}"
        tag = f"[{self.priority.upper()}]"
        move = self.move
        if move is not None and self.kind == DeliveryKind.REROUTED:
            return f"{tag} Case #{self.case_id} moved to {move.to_owner} ({move.to_touchpoint})"
        if move is not None:
            return (
                f"{tag} Case #{self.case_id} moved to you "
                f"({move.from_touchpoint} → {move.to_touchpoint})"
            )
        if self.kind == DeliveryKind.ASSIGNED:
            who = self.assigned_by or "Someone"
            to = f"your team {self.assigned_team}" if self.assigned_team else "you"
            return f"{tag} {who} assigned case #{self.case_id} to {to} ({self.touchpoint})"
        what = (
            "New case" if self.kind == DeliveryKind.ASSIGNMENT else f"Escalation {self.step}, case"
        )
        return f"{tag} {what} #{self.case_id} ({self.touchpoint}): {self.summary}"

    @property
    def move_text(self) -> str:
        """The move in words for this receiver, or nothing when the case did not move."""
        return self.move.sentence(self.kind) if self.move is not None else ""

    @property
    def respondent(self) -> str:
        """Who answered, as well as we know it."""
        if self.private:
            return "on the case page"
        if self.respondent_name and self.respondent_email:
            return f"{self.respondent_name} <{self.respondent_email}>"
        return self.respondent_name or self.respondent_email or "anonymous"

    @property
    def scores_text(self) -> str:
        """All scores on one line, or a dash when the response had only a comment."""
        return ", ".join(str(s) for s in self.scores) or "-"
