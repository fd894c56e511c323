"""The incident as the desk's API shows it: the group, its counters, its cases and alerts."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.desk.schemas import CaseSummary


class IncidentRef(Schema):
    """The incident a queued case belongs to."""

    id = fields.Integer()
    count = fields.Integer(metadata={"description": "cases in the incident"})
    state = fields.String(metadata={"description": "open or resolved"})


class IncidentAlertOut(Schema):
    seq = fields.Integer()
    kind = fields.String(metadata={"description": "first, update or repeat"})
    count = fields.Integer()
    new = fields.Integer(metadata={"description": "cases since the previous alert"})
    at = fields.DateTime()


class IncidentOut(Schema):
    """An incident with the cases of it the caller may see."""

    id = fields.Integer()
    state = fields.String()
    receiver = fields.String()
    route = fields.String(attribute="route_path")
    group = fields.Dict(attribute="labels", metadata={"description": "the group_by values"})
    count = fields.Integer()
    first_seen_at = fields.DateTime()
    last_seen_at = fields.DateTime()
    notified_at = fields.DateTime(allow_none=True)
    next_alert_at = fields.DateTime(attribute="flush_due_at", allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    cases = fields.List(fields.Nested(CaseSummary))
    alerts = fields.List(fields.Nested(IncidentAlertOut))
    root_causes = fields.List(
        fields.String(), metadata={"description": "codes every open case accepts (resolve all)"}
    )
