"""How the webhook endpoint is described in the OpenAPI document: signatures, bodies, answers.

One path serves every configured source (`/v1/webhooks/{source_name}`); the source's type
decides the body's format and the signature. The document lists the configured sources with
their type and signature, and takes each type's description from its adapter's module.
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask
from marshmallow import Schema, fields

from services.ingest.sources.registry import adapter_for, types
from shared.schemas import ResponseSchema

# Source type -> the security scheme its signature is described by (Qualtrics signs in the body).
SIGNED_BY = {
    "typeform": "typeformSignature",
    "delighted": "delightedSignature",
    "tally": "tallySignature",
    "surveymonkey": "surveymonkeySignature",
    "standard_webhooks": "standardWebhooks",
    "formbricks": "standardWebhooks",
    "google_forms": "standardWebhooks",
    "generic": "genericSignature",
}
_SIGNATURES = {
    "typeformSignature": ("Typeform-Signature", "`sha256=` + base64 HMAC-SHA256 of the body."),
    "delightedSignature": (
        "X-Delighted-Webhook-Signature", "`sha256=` + hex HMAC-SHA256 of the body."),
    "tallySignature": ("Tally-Signature", "base64 HMAC-SHA256 of the body."),
    "surveymonkeySignature": (
        "Sm-Signature", "base64 HMAC-SHA1 of the body keyed `client_id&secret`."),
    "standardWebhooks": (
        "webhook-signature", "`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}."
        "{body}` (Standard Webhooks); `webhook-id` and `webhook-timestamp` are required too."),
    "genericSignature": (
        "X-Cxloop-Signature", "hex HMAC-SHA256 of the body (`sha256=` optional); the header "
        "and an optional signed timestamp header are set per source in the sources file."),
}  # fmt: skip
QUALTRICS_NOTE = (
    "Qualtrics signs inside the form body: `HMAC` is the hex HMAC-SHA512 of `MSG` keyed with "
    "the subscription's shared key."
)


def signature_schemes() -> dict[str, dict[str, Any]]:
    """The webhook signatures as OpenAPI security schemes (a signed header each)."""
    return {
        name: {"type": "apiKey", "in": "header", "name": header, "description": text}
        for name, (header, text) in _SIGNATURES.items()
    }


def webhook_security() -> tuple[str, ...]:
    """Every signature scheme; which one applies depends on the source's type."""
    return tuple(dict.fromkeys(SIGNED_BY.values()))


def _configured(app: Flask) -> list[Any]:
    sources = app.extensions.get("cxloop.sources")
    return list(sources.by_name.values()) if sources is not None else []


def source_name_schema(app: Flask) -> dict[str, Any]:
    """The source name: one of the configured sources (anything else is a 404)."""
    names = [source.name for source in _configured(app)]
    schema: dict[str, Any] = {"type": "string", "description": "a source of the sources file"}
    return schema | {"enum": names} if names else schema


def description(app: Flask) -> str:
    """The configured sources and, per source type, its format and signature."""
    lines = [
        "A survey tool posts its own format here, signed its own way; an unsigned or badly "
        "signed request is a 401 and is not stored. The source's type decides.",
        "",
    ]
    sources = _configured(app)
    if sources:
        lines += ["Configured sources:", ""]
        lines += [f"- `{s.name}`: {s.type}" for s in sources]
        lines.append("")
    lines += ["Source types:", ""]
    for name in types():
        doc = sys.modules[type(adapter_for(name)).__module__].__doc__ or name
        scheme = SIGNED_BY.get(name)
        signed = f" Signature: `{_SIGNATURES[scheme][0]}`." if scheme else f" {QUALTRICS_NOTE}"
        lines.append(f"- `{name}`: {' '.join(doc.split())}{signed}")
    return "\n".join(lines)


class GenericBatch(Schema):
    """Several generic responses in one signed request (generic and Standard Webhooks types)."""

    responses = fields.List(fields.Nested(ResponseSchema), required=True)


class QualtricsForm(Schema):
    """Qualtrics' form-encoded event (a thin event: the response is fetched afterwards)."""

    Topic = fields.String(required=True)
    MSG = fields.String(required=True, metadata={"description": "the event as JSON"})
    HMAC = fields.String(required=True, metadata={"description": "hex HMAC-SHA512 of MSG"})


VENDOR_EVENT = {
    "type": "object",
    "description": "A vendor's own event body (Typeform, Delighted, Tally, SurveyMonkey, "
    "Formbricks, Google Forms script): see the source types above and docs/sources/.",
}
BODY = {"anyOf": [ResponseSchema, GenericBatch, VENDOR_EVENT]}


class StoredItem(Schema):
    id = fields.Integer()
    outcome = fields.String(metadata={"description": "stored | duplicate | updated | stale ..."})


class WebhookReply(Schema):
    """What a webhook answers: accepted with the stored responses, or ignored and why."""

    status = fields.String(metadata={"description": "accepted | ignored"})
    responses = fields.List(fields.Nested(StoredItem))
    reason = fields.String(metadata={"description": "why nothing was stored"})


class WebhookCheck(Schema):
    """The answer to a vendor's URL check."""

    source = fields.String()
    status = fields.String()
    source_type = fields.String()
