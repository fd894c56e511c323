"""Values the desk stores and shows: roles, contact channels and outcomes, SLA states."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CHAMPION = "champion"
    OWNER = "owner"
    VIEWER = "viewer"


class ContactChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    SMS = "sms"
    IN_PERSON = "in_person"


class ContactOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    DECLINED = "declined"


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MISSED = "missed"
    PAUSED = "paused"  # waiting on the customer: the clock stands still
    NONE = "none"
