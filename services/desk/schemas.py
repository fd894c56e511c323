"""marshmallow schemas at every desk HTTP boundary; the OpenAPI document is built from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from services.desk.enums import ContactChannel, ContactOutcome, SlaState
from services.desk.kpis import GROUPS
from services.desk.queue import MAX_LIMIT, OPEN, SORTS
from shared.case_schemas import CaseCore, DeliveryCore
from shared.enums import CaseStatus, Priority
from shared.inputs import FIRST_DAY, LAST_DAY, storable

TEXT_MAX = 10_000


class CommaList(fields.List):
    """A list given as repeated query parameters and/or comma-separated values."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        split = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
        return super()._deserialize(split, attr, data, **kwargs)


class QueryArgs(Schema):
    """Query-string arguments: single values arrive as one-item lists and are unwrapped."""

    @pre_load
    def _unwrap(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        lists = {name for name, f in self.fields.items() if isinstance(f, fields.List)}
        return {
            k: (v if k in lists or not isinstance(v, list) else (v[-1] if v else None))
            for k, v in data.items()
        }


def _score(low: int, high: int, bound: str) -> fields.Integer:
    return fields.Integer(validate=validate.Range(low, high), metadata={"description": bound})


def _day(description: str) -> fields.Date:
    return fields.Date(
        validate=validate.Range(FIRST_DAY, LAST_DAY), metadata={"description": description}
    )


# A name filter: NUL would reach PostgreSQL and fail there (a 500).
_name: list[Callable[[Any], Any]] = [validate.Length(1, 100), storable]


class QueueQuery(QueryArgs):
    """Filters, search, sort and page of the case queue."""

    status = CommaList(
        fields.String(validate=validate.OneOf([OPEN, *CaseStatus])),
        load_default=lambda: [OPEN],
        metadata={
            "description": "statuses; 'open' means new, acknowledged and in progress "
            "(not waiting_on_customer: its clock is paused)"
        },
    )
    touchpoint = CommaList(fields.String(validate=_name), load_default=list)
    priority = CommaList(fields.String(validate=validate.OneOf(list(Priority))), load_default=list)
    owner = CommaList(fields.String(validate=_name), load_default=list)
    team = CommaList(fields.String(validate=_name), load_default=list)
    assignee = fields.String(
        validate=[validate.Length(1, 320), storable], metadata={"description": "an email, or 'me'"}
    )
    sla = CommaList(fields.String(validate=validate.OneOf(list(SlaState))), load_default=list)
    created_from = _day("created on or after")
    created_to = _day("created on or before")
    q = fields.String(load_default="", validate=[validate.Length(max=200), storable])
    sort = fields.String(load_default="newest", validate=validate.OneOf(list(SORTS)))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=[validate.Length(max=500), storable])
    counts = fields.Boolean(load_default=True)
    nps_min = _score(0, 10, "NPS at least")
    nps_max = _score(0, 10, "NPS at most")
    csat_min = _score(1, 5, "CSAT at least")
    csat_max = _score(1, 5, "CSAT at most")
    ces_min = _score(1, 7, "CES at least")
    ces_max = _score(1, 7, "CES at most")
    disagreement = fields.Boolean(
        metadata={"description": "true: only cases whose score and comment disagree"}
    )


class UserRef(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()


class CaseSummary(CaseCore):
    """One case as listed in the queue."""

    team = fields.String(allow_none=True)
    assignee = fields.Nested(UserRef, allow_none=True)
    created_at = fields.DateTime()
    ack_due_at = fields.DateTime(allow_none=True)
    resolve_due_at = fields.DateTime(allow_none=True)
    sla_state = fields.String()
    overdue = fields.Boolean(metadata={"description": "past a deadline it has not met"})
    escalation_step = fields.Integer()
    snoozed_until = fields.DateTime(
        allow_none=True, metadata={"description": "reminders (escalation) wait until then"}
    )
    snoozed = fields.Boolean(metadata={"description": "an open case whose snooze has not ended"})
    paused_at = fields.DateTime(
        allow_none=True, metadata={"description": "waiting on the customer since (clock paused)"}
    )
    paused_seconds = fields.Integer(
        metadata={"description": "seconds spent waiting on the customer in finished pauses"}
    )
    nps = fields.Integer(allow_none=True)
    csat = fields.Integer(allow_none=True)
    ces = fields.Integer(allow_none=True)
    comment = fields.String()
    respondent = fields.String(allow_none=True)
    disagreement = fields.String(
        allow_none=True,
        metadata={"description": "score and comment disagree: happy_score_negative_comment or "
                  "unhappy_score_praising_comment"},
    )  # fmt: skip
    incident = fields.Dict(
        allow_none=True, metadata={"description": "the incident it is part of: id, count, state"}
    )


class QueuePage(Schema):
    items = fields.List(fields.Nested(CaseSummary))
    next_cursor = fields.String(allow_none=True)
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "per facet (status, touchpoint, priority, sla), other filters on"},
    )


class EventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    detail = fields.Dict()
    text = fields.String(metadata={"description": "the event in words"})
    changes = fields.List(fields.String(), metadata={"description": "'field: before → after'"})
    quote = fields.String(allow_none=True, metadata={"description": "a note or reason given"})
    aside = fields.String(allow_none=True, metadata={"description": "an explanation or error"})


class WhyOut(Schema):
    """Why the case exists and where it went, as readable lines."""

    reasons = fields.List(fields.String(), metadata={"description": "why this is a case"})
    sentences = fields.List(fields.String(), metadata={"description": "sentences that carried it"})
    touchpoint = fields.List(fields.String(), metadata={"description": "why this touchpoint"})
    alerted = fields.List(fields.String(), metadata={"description": "who was alerted, and how"})


class DeliveryOut(DeliveryCore):
    pass


class NoteOut(Schema):
    id = fields.Integer()
    body = fields.String()
    author = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ContactOut(Schema):
    id = fields.Integer()
    channel = fields.String()
    outcome = fields.String()
    note = fields.String()
    user = fields.String(allow_none=True)
    at = fields.DateTime()


class ResponseOut(Schema):
    id = fields.Integer()
    source = fields.String()
    external_id = fields.String()
    submitted_at = fields.DateTime()
    respondent_id = fields.String(allow_none=True)
    respondent_email = fields.String(allow_none=True)
    respondent_name = fields.String(allow_none=True)
    touchpoint = fields.String(allow_none=True)
    nps = fields.Integer(allow_none=True)
    csat = fields.Integer(allow_none=True)
    ces = fields.Integer(allow_none=True)
    comment = fields.String()
    attributes = fields.Dict()
    answers = fields.Raw(metadata={"description": "the raw payload as received"})


class FollowUpOut(Schema):
    status = fields.String(
        metadata={"description": "scheduled, sending, sent, answered, skipped or failed"}
    )
    due_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    score = fields.Integer(allow_none=True, metadata={"description": "the customer's answer"})
    scale = fields.String(metadata={"description": "0-10 or 1-5"})
    satisfied = fields.Boolean(allow_none=True)
    detractor_before = fields.Boolean(
        metadata={"description": "the case's own response was a detractor or dissatisfied"}
    )
    reason = fields.String(allow_none=True, metadata={"description": "why it was skipped"})


class CorrectionOut(Schema):
    id = fields.Integer()
    from_touchpoint = fields.String()
    to_touchpoint = fields.String()
    actor = fields.String()
    at = fields.DateTime()
    applied_at = fields.DateTime(
        allow_none=True, metadata={"description": "when the router re-routed; null: pending"}
    )


class CaseDetail(CaseSummary):
    """A case with everything the case page shows."""

    acknowledged_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    root_cause = fields.String(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    root_causes = fields.List(fields.String(), metadata={"description": "codes allowed to resolve"})
    reasons = fields.Dict()
    analysis = fields.Dict()
    touchpoints = fields.Dict()
    receivers = fields.Dict()
    polarity = fields.Float(allow_none=True)
    response = fields.Nested(ResponseOut)
    deliveries = fields.List(fields.Nested(DeliveryOut))
    timeline = fields.List(fields.Nested(EventOut))
    notes = fields.List(fields.Nested(NoteOut))
    contacts = fields.List(fields.Nested(ContactOut))
    corrections = fields.List(fields.Nested(CorrectionOut))
    follow_up = fields.Nested(
        FollowUpOut,
        allow_none=True,
        metadata={"description": 'the "did we fix it?" question after resolution, if any'},
    )
    touchpoint_choices = fields.List(
        fields.String(), metadata={"description": "touchpoints the case may be corrected to"}
    )
    resolving_confirms_touchpoint = fields.Boolean(
        metadata={
            "description": "resolving the case uncorrected confirms its touchpoint to the router,"
            " which learns from it"
        }
    )
    actions = fields.List(
        fields.String(), metadata={"description": "actions the case's status allows now"}
    )
    why = fields.Nested(WhyOut)


class Empty(Schema):
    """No body needed."""


class ResolveIn(Schema):
    root_cause = fields.String(required=True, validate=validate.Length(1, 100))
    resolution_note = fields.String(required=True, validate=validate.Length(1, TEXT_MAX))


class ReopenIn(Schema):
    to = fields.String(
        load_default=CaseStatus.ACKNOWLEDGED,
        validate=validate.OneOf([CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS]),
    )
    reason = fields.String(required=True, validate=validate.Length(1, TEXT_MAX))


class AssignIn(Schema):
    assignee = fields.Email(metadata={"description": "the user's email"})
    team = fields.String(validate=validate.Length(1, 100))

    @validates_schema
    def _someone(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("assignee") and not data.get("team"):
            raise ValidationError("give an assignee, a team, or both")


class NoteIn(Schema):
    body = fields.String(required=True, validate=validate.Length(1, TEXT_MAX))


class ContactIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(list(ContactChannel)))
    outcome = fields.String(required=True, validate=validate.OneOf(list(ContactOutcome)))
    note = fields.String(load_default="", validate=validate.Length(max=TEXT_MAX))


class TouchpointIn(Schema):
    touchpoint = fields.String(
        required=True, validate=validate.Length(1, 100),
        metadata={"description": "a touchpoint of the routing file"},
    )  # fmt: skip
    note = fields.String(load_default="", validate=validate.Length(max=TEXT_MAX))


class WaitIn(Schema):
    note = fields.String(
        load_default="", validate=validate.Length(max=TEXT_MAX),
        metadata={"description": "what the customer was asked (optional)"},
    )  # fmt: skip


class SnoozeIn(Schema):
    until = fields.String(
        required=True, validate=validate.OneOf(["1h", "tomorrow"]),
        metadata={"description": "1h, or tomorrow (09:00 in the team's time zone)"},
    )  # fmt: skip


ACTION_SCHEMAS: dict[str, type[Schema]] = {
    "acknowledge": Empty,
    "start": Empty,
    "close": Empty,
    "resolve": ResolveIn,
    "reopen": ReopenIn,
    "assign": AssignIn,
    "notes": NoteIn,
    "contacts": ContactIn,
    "touchpoint": TouchpointIn,
    "take": Empty,
    "snooze": SnoozeIn,
    "wait": WaitIn,
    "resume": Empty,
}


class KpiQuery(QueryArgs):
    start = _day("first day (default: 29 days before end)")
    end = _day("last day, inclusive (default: today)")
    by = fields.String(load_default="all", validate=validate.OneOf(GROUPS))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("start must not be after end", "start")
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            raise ValidationError("a period is at most a year", "start")


class KpiTableOut(Schema):
    name = fields.String()
    title = fields.String()
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))


class KpisOut(Schema):
    start = fields.Date()
    end = fields.Date()
    by = fields.String()
    tables = fields.List(fields.Nested(KpiTableOut))
