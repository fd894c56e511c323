"""marshmallow schemas of the desk's silences API (`/v1/silences`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.desk.schemas import QueryArgs


class SilenceIn(Schema):
    """A new silence: matchers in Alertmanager's syntax, an end, and why."""

    matchers = fields.List(
        fields.String(validate=validate.Length(1, 500)), required=True,
        validate=validate.Length(1, 20),
        metadata={"description": 'e.g. ["touchpoint = \\"checkout\\"", "region =~ \\"eu|uk\\""]'},
    )  # fmt: skip
    ends_at = fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    starts_at = fields.AwareDateTime(metadata={"description": "default: now"})
    comment = fields.String(required=True, validate=validate.Length(1, 2000))


class SilenceOut(Schema):
    id = fields.Integer()
    matchers = fields.Function(lambda s: s.matchers["matchers"])
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    comment = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    expired_at = fields.DateTime(allow_none=True)
    expired_by = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "pending, active or expired"})


class SilenceQuery(QueryArgs):
    expired = fields.Boolean(load_default=False, metadata={"description": "include expired"})


class SilenceList(Schema):
    items = fields.List(fields.Nested(SilenceOut))
