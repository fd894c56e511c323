"""Status and kind values stored in the database and shown in the API."""

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WAITING = "waiting_on_customer"  # the resolve clock is paused until the customer answers


# Open: someone must act and the SLA clock runs. A case waiting on the customer is neither
# open nor done: its clock is paused, so no deadline passes and nothing escalates.
OPEN_CASE_STATUSES = (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS)
UNRESOLVED_CASE_STATUSES = (*OPEN_CASE_STATUSES, CaseStatus.WAITING)


class Priority(StrEnum):
    P1 = "p1"
    P2 = "p2"
    P3 = "p3"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DeliveryKind(StrEnum):
    ASSIGNMENT = "assignment"
    ESCALATION = "escalation"
    REROUTED = "rerouted"  # the case moved to another owner; this tells the previous one
    ASSIGNED = "assigned"  # someone on the desk assigned the case to this person
    INCIDENT = "incident"  # one alert for a group of cases; its step is the incident flush id


class IncidentState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class FlushKind(StrEnum):
    """Why an incident alert went out: the group formed, it grew, or it is still open."""

    FIRST = "first"
    UPDATE = "update"
    REPEAT = "repeat"


class TouchpointSource(StrEnum):
    """Where a case's touchpoint came from (stored as `Case.touchpoints["source"]`)."""

    EXPLICIT = "explicit"  # the respondent or the survey named it
    DETECTED = "detected"  # the router read it in the comment
    DEFAULT = "default"  # nothing pointed anywhere, or the survey named an unknown touchpoint
    CORRECTED = "corrected"  # a person moved the case


# The router chose these touchpoints itself: closing such a case uncorrected confirms the choice,
# and the router learns from it.
ROUTED_TOUCHPOINT_SOURCES = (TouchpointSource.DETECTED, TouchpointSource.DEFAULT)


class ModelStatus(StrEnum):
    """Lifecycle of a touchpoint model learnt from a deployment's own corrections."""

    CANDIDATE = "candidate"  # trained, not yet judged
    ACTIVE = "active"  # blended with the descriptions by the router
    REJECTED = "rejected"  # did not beat descriptions alone on corrections it did not see
    RETIRED = "retired"  # was active; replaced by a newer one or rolled back
