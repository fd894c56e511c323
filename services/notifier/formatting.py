"""Render an alert for each medium, treating every customer-supplied string as hostile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.notifier.message import Alert, when
from shared.alert_actions import slack_actions

SLACK_TEXT_LIMIT = 2900  # Slack rejects section text over 3000 characters
PRIVATE_NOTE = (
    "The comment and who the customer is are kept out of this alert: open the case to see them."
)
_MENTION = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")


@dataclass(frozen=True)
class EmailContent:
    """Subject and both bodies of one alert email."""

    subject: str
    text: str
    html: str


@cache
def templates() -> Environment:
    """The notifier's templates: HTML autoescaped, undefined names an error."""
    return Environment(
        loader=PackageLoader("services.notifier", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def one_line(text: str) -> str:
    """Collapse line breaks so untrusted text cannot add email headers."""
    return _LINE_BREAKS.sub(" ", text).strip()


def render_email(alert: Alert) -> EmailContent:
    """Render the subject, the plain-text body and the autoescaped HTML body."""
    env = templates()
    return EmailContent(
        subject=truncate(one_line(alert.headline), 200),
        text=env.get_template("alert.txt").render(alert=alert, when=when),
        html=env.get_template("alert.html").render(alert=alert, when=when),
    )


def escape_mrkdwn(text: str) -> str:
    """Escape text for Slack mrkdwn: no control sequences (<!here>, <@U1>, <url|label>) or
    broadcast mentions (@channel, @here, @everyone) can be formed from it."""
    return _unmention(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def plain_text(text: str) -> str:
    """Make customer text safe for a plain_text header: no angle brackets, no broadcasts.

    Slack shows entities literally there, so brackets become look-alike quotes instead.
    """
    return _unmention(text.replace("<", "\u2039").replace(">", "\u203a"))


def _unmention(text: str) -> str:
    return _MENTION.sub("@" + _WORD_JOINER, text)


def truncate(text: str, limit: int) -> str:
    """Cut text to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    lines = escape_mrkdwn(truncate(text, SLACK_TEXT_LIMIT)).splitlines() or [""]
    return "\n".join("&gt; " + line for line in lines)


def _mrkdwn_section(text: str) -> dict[str, Any]:
    """A section of already-escaped mrkdwn."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _actions(alert: Alert) -> dict[str, Any]:
    """The buttons: open the case, and act on it (Slack interactivity) while that applies."""
    if alert.actionable:
        return slack_actions(
            alert.case_id, status=alert.status, touchpoint=alert.touchpoint,
            touchpoints=alert.touchpoints, case_url=alert.case_url,
        )  # fmt: skip
    open_case = {"type": "button", "text": {"type": "plain_text", "text": "Open case"},
                 "url": alert.case_url, "action_id": "open_case"}  # fmt: skip
    return {"type": "actions", "elements": [open_case]}


def slack_message(alert: Alert) -> dict[str, Any]:
    """Build the Block Kit payload (without channel), with link unfurling off."""
    fields = [
        ("Touchpoint", alert.touchpoint),
        ("Priority", alert.priority.upper()),
        ("Scores", alert.scores_text),
        ("Receiver", alert.receiver),
        ("Respondent", alert.respondent),
        ("Source", alert.source),
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(plain_text(alert.headline), 150)},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{name}*\n{escape_mrkdwn(truncate(value, 500))}"}
                for name, value in fields
            ],
        },
    ]
    if alert.move is not None:
        blocks.append(_mrkdwn_section(escape_mrkdwn(alert.move_text)))
    if alert.deadlines_known:
        ack, resolve = when(alert.ack_due_at), when(alert.resolve_due_at)
        blocks.append(_mrkdwn_section(f"*Acknowledge by {ack}* · resolve by {resolve}"))
    if alert.private:
        blocks.append(_mrkdwn_section(PRIVATE_NOTE))
    if alert.comment.strip():
        said = f"*Comment* ({when(alert.submitted_at)})\n" if alert.submitted_at else ""
        blocks.append(_mrkdwn_section(said + _quote(alert.comment)))
    if alert.customer:
        who = " · ".join(
            f"{escape_mrkdwn(name)}: {escape_mrkdwn(truncate(value, 200))}"
            for name, value in alert.customer
        )
        blocks.append(_mrkdwn_section(truncate(f"*Customer* {who}", 3000)))
    if alert.reasons:
        details = truncate(f"Details: {escape_mrkdwn(alert.details)}", 3000)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": details}]})
    blocks.append(_actions(alert))
    return {
        "text": escape_mrkdwn(truncate(alert.headline, 3000)),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
