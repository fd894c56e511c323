"""The tables every service shares: raw responses, the cases made of them, and their sends.

Importing the package maps every table on `Base.metadata`, as the migrations and tests expect.
"""

from shared.models.base import Base, JSONType, SendState, UTCDateTime, utcnow
from shared.models.cases import Case, CaseEvent, Delivery, Response, current_deadline
from shared.models.digests import DigestSend
from shared.models.incidents import Incident, IncidentCase, IncidentFlush, Silence
from shared.models.touchpoints import TouchpointCorrection, TouchpointModel

__all__ = [
    "Base",
    "Case",
    "CaseEvent",
    "Delivery",
    "DigestSend",
    "Incident",
    "IncidentCase",
    "IncidentFlush",
    "JSONType",
    "Response",
    "SendState",
    "Silence",
    "TouchpointCorrection",
    "TouchpointModel",
    "UTCDateTime",
    "current_deadline",
    "utcnow",
]
