"""The fields every case API shows alike: ingest's /v1/cases and the desk extend these schemas.

Each API adds what only it shows (the desk its SLA and people, ingest its sentiment and raw
reasons) and how it reads a value (an ORM row for ingest, a presented dict for the desk).
"""

from __future__ import annotations

from marshmallow import Schema, fields


class CaseCore(Schema):
    """A case's identity and where it was routed."""

    id = fields.Integer()
    status = fields.String()
    priority = fields.String()
    touchpoint = fields.String()
    owner = fields.String()


class DeliveryCore(Schema):
    """One alert of a case: to whom, by which channel, and how sending it went."""

    id = fields.Integer()
    kind = fields.String()
    step = fields.Integer()
    receiver = fields.String()
    channel = fields.String()
    # An API may read these two its own way (ingest redacts from the row): any Field will do.
    target: fields.Field = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error: fields.Field = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
