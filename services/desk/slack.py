"""Slack interactivity: the buttons of an alert, received, verified, done, and answered in place.

Slack posts `payload=<json>` form-encoded to `POST /v1/slack/interactions`, signed with the
app's signing secret (v0: HMAC-SHA256 of `v0:<timestamp>:<raw body>`). A request with a bad or
missing signature, or a timestamp more than five minutes off, is refused with 401 before the
body is read any further. A verified request always gets HTTP 200 (Slack shows its user an
error otherwise); the outcome goes back to Slack through the interaction's `response_url`:
the message is replaced, showing who did what, or an ephemeral note explains the refusal. The
JSON body repeats the outcome in the usual error shape, with the code it stands for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import requests
from flask import Blueprint, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)

from services.desk import context, quick, service
from services.desk.lifecycle import IllegalTransition, InvalidCommand
from services.desk.models import User
from services.desk.users import find_user
from shared import alert_actions as aa
from shared.errors import http_error
from shared.openapi import FORM, documented
from shared.settings import Settings

bp = Blueprint("desk_slack", __name__)
log = logging.getLogger(__name__)
WINDOW_S = 300  # Slack's advice: refuse requests more than five minutes old (or new)
REPLY_TIMEOUT_S = 3.0
NOT_LINKED = (
    "Your Slack account is not linked to a cxloop desk user. Ask a desk admin to link it "
    "(cxloop user slack --email <your desk email> --member <your Slack member id>)."
)


class BadSignature(ValueError):
    """The request was not signed by Slack with our secret, or is outside the time window."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return Slack's v0 signature of a request body."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, *, timestamp: str, signed: str, body: bytes, now: float) -> None:
    """Raise `BadSignature` unless the request is Slack's, signed within the time window."""
    if not timestamp.isdigit():
        raise BadSignature("missing or malformed X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > WINDOW_S:
        raise BadSignature("X-Slack-Request-Timestamp is more than five minutes from now")
    if not hmac.compare_digest(signature(secret, timestamp, body), signed):
        raise BadSignature("X-Slack-Signature does not match the request")


@dataclass(frozen=True)
class Interaction:
    """One click on an alert's buttons, as Slack describes it."""

    slack_user: str
    action: str
    case_id: int
    touchpoint: str
    response_url: str
    key: str  # what makes a replay recognisable: Slack's trigger id for this click
    blocks: list[dict[str, Any]]


def parse(body: bytes) -> Interaction:
    """Read a block_actions payload; `BadRequest` names what is wrong."""
    form = parse_qs(body.decode("utf-8", "replace"))
    try:
        payload = json.loads(form["payload"][0])
    except (KeyError, IndexError, ValueError):
        raise http_error(BadRequest, "the body must be form-encoded payload=<json>") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise http_error(BadRequest, "only block_actions interactions are handled")
    actions = payload.get("actions")
    user = payload.get("user")
    if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)):
        raise http_error(BadRequest, "the payload has no action", {"actions": ["required"]})
    if not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        raise http_error(BadRequest, "the payload has no user", {"user.id": ["required"]})
    action = actions[0]
    name = action.get("action_id")
    if name not in aa.ACTIONS:
        raise http_error(BadRequest, f"unknown action {name!r}", {"actions.0.action_id": [
            f"must be one of: {', '.join(aa.ACTIONS)}"]})  # fmt: skip
    selected = action.get("selected_option") or {}
    value = str(selected.get("value") if name == aa.TOUCHPOINT else action.get("value") or "")
    case_text, _, touchpoint = value.partition(":")
    if not case_text.isdigit() or len(case_text) > 12 or (name == aa.TOUCHPOINT and not touchpoint):
        raise http_error(BadRequest, "the action names no case", {"actions.0.value": ["bad"]})
    message = payload.get("message")
    blocks = message.get("blocks") if isinstance(message, dict) else None
    trigger = payload.get("trigger_id") or action.get("action_ts") or ""
    return Interaction(
        slack_user=user["id"], action=name, case_id=int(case_text), touchpoint=touchpoint,
        response_url=str(payload.get("response_url") or ""),
        key=f"slack:{user['id']}:{trigger}" if trigger else "",
        blocks=[b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else [],
    )  # fmt: skip


def linked_user(session: Session, settings: Settings, slack_user: str) -> User | None:
    """Return the desk user a Slack member acts as, linking them by email on first use.

    The member's profile email comes from Slack's users.info (bot token, users:read.email);
    it links to the active desk user with that email, and the link is kept on the user.
    """
    user = quick.user_by_slack_id(session, slack_user)
    if user is not None or not settings.slack_token:
        return user
    try:
        answer = requests.get(
            settings.slack_api_url.rstrip("/") + "/users.info", params={"user": slack_user},
            headers={"Authorization": f"Bearer {settings.slack_token}"},
            timeout=REPLY_TIMEOUT_S,
        ).json()  # fmt: skip
    except (requests.RequestException, ValueError) as exc:
        log.warning("cannot look up a Slack member", extra={"error": type(exc).__name__})
        return None
    member = answer.get("user") if isinstance(answer, dict) and answer.get("ok") else None
    profile = member.get("profile") if isinstance(member, dict) else None
    email = profile.get("email") if isinstance(profile, dict) else None
    user = find_user(session, email=email) if isinstance(email, str) and email else None
    if user is None or not user.active or user.slack_user_id not in (None, slack_user):
        return None
    user.slack_user_id = slack_user
    session.commit()
    return user


def reply(url: str, body: dict[str, Any]) -> None:
    """Answer through the interaction's response_url; a failure is logged, not raised."""
    if not url.startswith(("https://", "http://")):
        return
    try:
        answer = requests.post(url, json=body, timeout=REPLY_TIMEOUT_S, allow_redirects=False)
        if answer.status_code >= 300:
            log.warning("Slack refused a reply", extra={"status": answer.status_code})
    except requests.RequestException as exc:
        log.warning("cannot reply to Slack", extra={"error": type(exc).__name__})


def _refused(item: Interaction, code: int, message: str) -> tuple[dict[str, Any], int]:
    """Tell the clicker why nothing happened; the body is the usual error shape."""
    reply(item.response_url, {"response_type": "ephemeral", "replace_original": False,
                              "text": message})  # fmt: skip
    body = {"code": code, "status": HTTPStatus(code).phrase, "message": message, "errors": {}}
    return body, 200


@bp.post("/v1/slack/interactions")
@documented("Slack interactivity: a clicked alert button (signed by Slack)",
            body={"type": "object", "properties": {"payload": {"type": "string"}}},
            body_type=FORM, response={"type": "object"}, tag="slack",
            security=("slackSignature",), errors=(400, 401, 503))  # fmt: skip
def interactions() -> tuple[dict[str, Any], int]:
    """Verify a Slack interaction, perform the clicked action once, and update the message."""
    settings = context.desk().settings
    secret = str(settings.slack_signing_secret)
    if not secret:
        raise http_error(ServiceUnavailable, "Slack interactivity is not configured "
                         "(CXLOOP_SLACK_SIGNING_SECRET)")  # fmt: skip
    body = request.get_data(cache=False)
    try:
        verify(
            secret, timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signed=request.headers.get("X-Slack-Signature", ""), body=body, now=time.time(),
        )  # fmt: skip
    except BadSignature as exc:
        raise http_error(Unauthorized, str(exc)) from None
    item = parse(body)
    if not item.key:
        raise http_error(BadRequest, "the payload has no trigger_id", {"trigger_id": ["required"]})
    session = context.db()
    user = linked_user(session, settings, item.slack_user)
    if user is None:
        return _refused(item, 403, NOT_LINKED)
    try:
        outcome = quick.run(
            session, key=item.key, user=user, case_id=item.case_id, action=item.action,
            touchpoint=item.touchpoint, config=context.config(), now=context.now(),
            touchpoints=context.touchpoints,
        )  # fmt: skip
        session.commit()
    except (quick.AlreadyDone, IntegrityError):
        session.rollback()
        return {"code": 200, "status": "OK", "message": "already handled", "errors": {}}, 200
    except (IllegalTransition, InvalidCommand, HTTPException) as exc:
        session.rollback()
        if isinstance(exc, IllegalTransition):
            # A stale button (a webhook post cannot be edited from the desk): show the case now.
            reply(item.response_url, _updated(session, item))
        return _refused(item, _code(exc), f"Case #{item.case_id}: {_text(exc)}")
    context.after_commit(outcome)
    session.expire_all()
    reply(item.response_url, _updated(session, item))
    return {"code": 200, "status": "OK", "message": f"{item.action} done", "errors": {}}, 200


def _code(exc: Exception) -> int:
    if isinstance(exc, IllegalTransition):
        return 409
    if isinstance(exc, InvalidCommand):
        return 422
    return int(getattr(exc, "code", 400) or 400)


def _text(exc: Exception) -> str:
    if isinstance(exc, NotFound):
        return "not found, or not visible to you"
    if isinstance(exc, Forbidden):
        return "your desk role may not change this case"
    if isinstance(exc, HTTPException):
        return str(exc.description)
    return str(exc)


def _updated(session: Session, item: Interaction) -> dict[str, Any]:
    """The alert again, with its "who did what" lines and the buttons the new status allows."""
    case = service.get_case(session, case_id=item.case_id)
    assert case is not None  # it was just changed in a committed transaction
    lines = aa.story_lines(session, case)
    public = context.desk().settings.public_url.rstrip("/")
    buttons = aa.slack_actions(
        case.id, status=case.status, touchpoint=case.touchpoint,
        touchpoints=context.touchpoint_choices(), case_url=f"{public}/cases/{case.id}",
    )  # fmt: skip
    blocks = aa.updated_blocks(item.blocks, lines, buttons)
    text = f"Case #{case.id}: {lines[-1] if lines else case.status}"
    return {"replace_original": True, "text": text, "blocks": blocks}
