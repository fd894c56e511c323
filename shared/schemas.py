"""The generic survey response, validated with marshmallow at every boundary that takes one."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema


class RespondentSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ScoresSchema(Schema):
    class Meta:
        unknown = RAISE

    nps = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 10)
    )
    csat = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 5)
    )
    ces = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 7)
    )


class ResponseSchema(Schema):
    """One response in cxloop's generic form; unknown fields are rejected so typos surface."""

    class Meta:
        unknown = RAISE

    source = fields.String(required=True, validate=validate.Length(min=1, max=100))
    response_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    submitted_at = fields.AwareDateTime(required=True, default_timezone=None)
    respondent = fields.Nested(RespondentSchema, load_default=dict)
    touchpoint = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    scores = fields.Nested(ScoresSchema, load_default=dict)
    comment = fields.String(load_default="", validate=validate.Length(max=20_000))
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.String(),
        load_default=dict,
    )

    @validates_schema
    def _has_signal(self, data: dict[str, Any], **_: Any) -> None:
        scores = data.get("scores") or {}
        if (
            all(scores.get(k) is None for k in ("nps", "csat", "ces"))
            and not data.get("comment", "").strip()
        ):
            raise ValidationError(
                "give at least one score (nps, csat, ces) or a non-empty comment", "_schema"
            )


# One instance serves every request: a schema keeps no state between loads, and building one
# (its fields, the nested schemas) cost three times the validation itself.
_RESPONSE = ResponseSchema()


def load_response(payload: Any) -> dict[str, Any]:
    """Validate one generic response; raise marshmallow.ValidationError naming the bad fields."""
    return _RESPONSE.load(payload)
