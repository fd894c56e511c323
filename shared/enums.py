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


class ModelStatus(StrEnum):
    """Lifecycle of a touchpoint model learnt from a deployment's own corrections."""

    CANDIDATE = "candidate"  # trained, not yet judged
    ACTIVE = "active"  # blended with the descriptions by the router
    REJECTED = "rejected"  # did not beat descriptions alone on corrections it did not see
    RETIRED = "retired"  # was active; replaced by a newer one or rolled back
