"""Render a digest for email (text and autoescaped HTML) and for Slack (escaped Block Kit)."""

from __future__ import annotations

from typing import Any

from services.desk.digest import Digest, Line
from services.notifier.formatting import (
    EmailContent,
    escape_mrkdwn,
    one_line,
    plain_text,
    templates,
    truncate,
)

SECTION_LIMIT = 2900  # Slack rejects section text over 3000 characters


def digest_email(digest: Digest) -> EmailContent:
    """Render the subject, the plain-text body and the autoescaped HTML body."""
    env = templates()
    return EmailContent(
        subject=truncate(one_line(digest.summary), 200),
        text=env.get_template("digest.txt").render(digest=digest),
        html=env.get_template("digest.html").render(digest=digest),
    )


def _line(line: Line) -> str:
    label = escape_mrkdwn(one_line(line.label))
    if line.url:  # the URL is ours; the label inside <url|label> is escaped like any text
        label = f"<{escape_mrkdwn(line.url)}|{label}>"
    return f"• {label}: {escape_mrkdwn(one_line(line.value))}"


def digest_slack(digest: Digest) -> dict[str, Any]:
    """Build the Block Kit payload (without channel), with link unfurling off."""
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": truncate(plain_text(digest.title), 150)}},
        {"type": "context",
         "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(digest.span)}]},
    ]  # fmt: skip
    for section in digest.sections:
        body = "\n".join(_line(line) for line in section.lines) or escape_mrkdwn(section.empty)
        text = f"*{escape_mrkdwn(section.title)}*\n{body}"
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}
        )
    open_desk = {"type": "button", "text": {"type": "plain_text", "text": "Open the desk"},
                 "url": digest.desk_url, "action_id": "open_desk"}  # fmt: skip
    blocks.append({"type": "actions", "elements": [open_desk]})
    return {
        "text": escape_mrkdwn(truncate(digest.summary, 3000)),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
