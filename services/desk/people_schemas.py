"""marshmallow schemas of the people API (admins managing desk users), in the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.desk.enums import Role


class PersonOut(Schema):
    """A desk user as admins see them (never a password hash or token digest)."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    team = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)
    api_tokens = fields.Integer(metadata={"description": "API tokens that still work"})


class PeopleOut(Schema):
    items = fields.List(fields.Nested(PersonOut))


class PersonIn(Schema):
    email = fields.String(required=True, validate=validate.Length(3, 320))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(list(Role)))
    team = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    password = fields.String(required=True, validate=validate.Length(max=500), load_only=True)


class PasswordIn(Schema):
    password = fields.String(required=True, validate=validate.Length(max=500), load_only=True)


class RoleIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(list(Role)))


class TeamIn(Schema):
    team = fields.String(required=True, validate=validate.Length(max=100),
                         metadata={"description": "a team name; empty for no team"})  # fmt: skip


class TokensIn(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=100),
                         metadata={"description": "only the tokens of this name"})  # fmt: skip


class PersonChangeOut(Schema):
    user = fields.Nested(PersonOut)
    done = fields.String(metadata={"description": "what was done, in words"})
