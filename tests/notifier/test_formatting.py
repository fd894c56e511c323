"""Rendering: customer text can never become a Slack mention, a disguised link, or HTML."""

from __future__ import annotations

import json

import pytest

from services.notifier.formatting import escape_mrkdwn, render_email, slack_message
from services.notifier.message import Move
from tests.notifier.alerts import alert
from tests.notifier.factories import HOSTILE_COMMENT

WJ = "\u2060"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words", "plain words"),
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<http://evil.example|click me>", "&lt;http://evil.example|click me&gt;"),
        ("hey @channel", f"hey @{WJ}channel"),
        ("@HERE now", f"@{WJ}HERE now"),
        ("@everyone!", f"@{WJ}everyone!"),
        ("mail ada@example.com", "mail ada@example.com"),
        ("@channels are fine", "@channels are fine"),
        ("&lt;!here&gt;", "&amp;lt;!here&amp;gt;"),
    ],
)
def test_escape_mrkdwn_neutralises_control_sequences_and_broadcasts(
    text: str, escaped: str
) -> None:
    assert escape_mrkdwn(text) == escaped


def _all_text(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_slack_message_never_carries_a_mention_or_link_from_customer_text() -> None:
    hostile = alert(
        comment=HOSTILE_COMMENT,
        respondent_name="<!everyone> Mallory",
        touchpoint="@here delivery",
        reasons=("<@U999> said so",),
    )
    payload = slack_message(hostile)
    text = _all_text(payload)
    for forbidden in ("<!", "<@", "<http", "<script", "@channel", "@here", "@everyone"):
        assert forbidden not in text
    assert payload["unfurl_links"] is False
    assert payload["unfurl_media"] is False
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_slack_message_shows_scores_comment_reasons_and_a_case_button() -> None:
    payload = slack_message(alert())
    text = _all_text(payload)
    assert payload["text"] == "[P1] New case #42 (delivery)"
    assert "NPS 2/10, CSAT 1/5" in text
    assert "&gt; The parcel arrived late and damaged." in text
    assert "• NPS 2 is a detractor score" in text
    button = payload["blocks"][-1]["elements"][0]
    assert button["url"] == "https://cx.example.com/cases/42"
    assert payload["blocks"][0]["type"] == "header"


def test_slack_message_keeps_a_long_comment_within_slack_limits() -> None:
    payload = slack_message(alert(comment="x" * 10_000))
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in payload["blocks"])


def test_email_html_escapes_customer_text_and_text_part_keeps_it_verbatim() -> None:
    content = render_email(alert(comment=HOSTILE_COMMENT, respondent_name="<b>Eve</b>"))
    assert "<script>" not in content.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; @channel &lt;!here&gt;" in content.html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in content.html
    assert HOSTILE_COMMENT in content.text
    assert 'href="https://cx.example.com/cases/42"' in content.html


def test_email_shows_scores_touchpoint_priority_reasons_and_link() -> None:
    content = render_email(alert())
    for part in (content.text, content.html):
        assert "NPS 2/10, CSAT 1/5" in part
        assert "delivery" in part
        assert "P1" in part
        assert "negative comment" in part
        assert "https://cx.example.com/cases/42" in part
    assert content.subject == "[P1] New case #42 (delivery)"


def test_email_subject_cannot_carry_extra_headers() -> None:
    content = render_email(alert(touchpoint="delivery\r\nBcc: victim@example.com"))
    assert "\n" not in content.subject and "\r" not in content.subject


def test_escalation_headline_names_the_step() -> None:
    assert alert(kind="escalation", step=2).headline == "[P1] Escalation 2, case #42 (delivery)"


def test_a_moved_case_says_so_to_the_new_owner_and_to_the_old_one_safely() -> None:
    move = Move(
        from_touchpoint="delivery", to_touchpoint="billing", from_owner="delivery-team",
        to_owner="billing-team", by="<!here> <b>mallory</b>@example.com",
    )  # fmt: skip
    new_owner, old_owner = alert(move=move, step=12), alert(move=move, step=12, kind="rerouted")
    assert new_owner.headline == "[P1] Case #42 moved to you (delivery → billing)"
    assert old_owner.headline == "[P1] Case #42 moved to billing-team (billing)"
    email = render_email(new_owner)
    assert "This case was moved to you:" in email.text and "it was with delivery-team" in email.text
    assert "&lt;b&gt;mallory&lt;/b&gt;" in email.html and "<b>mallory" not in email.html
    gone = render_email(old_owner)
    assert "This case moved away from you" in gone.text and "belongs to billing-team" in gone.text
    text = _all_text(slack_message(old_owner))
    assert "moved away from you" in text and "<!" not in text and "&lt;!here&gt;" in text
    assert "moved" not in render_email(alert()).text  # an ordinary alert has no move paragraph
