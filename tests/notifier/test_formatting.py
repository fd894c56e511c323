"""Rendering: customer text can never become a Slack mention, a disguised link, or HTML."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.notifier.formatting import escape_mrkdwn, render_email, slack_message
from services.notifier.message import Move, Score
from tests.notifier.alerts import HEADLINE, alert
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
    assert payload["text"] == HEADLINE
    assert "NPS 2/10, CSAT 1/5" in text
    assert "&gt; The parcel arrived late and damaged." in text
    assert "Details: NPS 2 is a detractor score; negative comment" in text
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
    assert content.subject == HEADLINE


def test_email_subject_cannot_carry_extra_headers() -> None:
    content = render_email(alert(touchpoint="delivery\r\nBcc: victim@example.com"))
    assert "\n" not in content.subject and "\r" not in content.subject


def test_escalation_headline_names_the_step() -> None:
    assert alert(kind="escalation", step=2).headline.startswith(
        "[P1] Escalation 2, case #42 (delivery): Detractor (NPS 2/10)"
    )


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


DUE = {
    "ack_due_at": datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
    "resolve_due_at": datetime(2026, 11, 4, 12, 0, tzinfo=UTC),
    "submitted_at": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
    "customer": (("customer id", "c-77"), ("plan", "enterprise"), ("region", "eu")),
    "reasons": ("NPS 2 is a detractor (0-6)", "comment polarity -0.99 under -0.05"),
    "comment": "The courier left the parcel in the rain. Everything inside was soaked!",
    "scores": (Score("NPS", 2, "/10"),),
}


def test_alerts_headline_the_reason_in_words_and_put_the_numbers_in_a_details_line() -> None:
    sample = alert(**DUE)
    assert (
        sample.summary == 'Detractor (NPS 2/10) who says "The courier left the parcel in the rain"'
    )
    assert sample.headline.endswith(sample.summary)
    email = render_email(sample)
    assert email.subject == f"[P1] New case #42 (delivery): {sample.summary}"
    assert "Details: NPS 2 is a detractor (0-6); comment polarity -0.99 under -0.05" in email.text
    payload = slack_message(sample)
    details = [b for b in payload["blocks"] if b["type"] == "context"]
    assert details[0]["elements"][0]["text"].startswith("Details: NPS 2 is a detractor")
    assert "polarity" not in payload["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(
    ("changes", "who"),
    [
        ({"scores": (Score("CSAT", 1, "/5"),)}, "Unhappy customer (CSAT 1/5) who says"),
        ({"scores": (Score("CES", 6, "/7"),)}, "Customer who found it hard (CES 6/7) who says"),
        ({"scores": (), "comment": ""}, "Customer, without a comment"),
        ({"comment": "word " * 60}, 'Detractor (NPS 2/10) who says "word word'),
    ],
)
def test_the_headline_reason_fits_every_kind_of_response(changes: dict[str, Any], who: str) -> None:
    summary = alert(**changes).summary
    assert summary.startswith(who)
    assert len(summary) < 130


def test_alerts_say_what_to_do_by_when_and_who_the_customer_is() -> None:
    sample = alert(**DUE)
    email = render_email(sample)
    for part in (email.text, email.html):
        assert "Acknowledge by" in part and "Mon 2 Nov 2026, 13:00 UTC" in part
        assert "Wed 4 Nov 2026, 12:00 UTC" in part
        assert "Sun 1 Nov 2026, 09:30 UTC" in part  # the survey date
        assert "c-77" in part and "enterprise" in part and "eu" in part
        assert "Everything inside was soaked!" in part  # the whole comment
    text = _all_text(slack_message(sample))
    assert (
        "*Acknowledge by Mon 2 Nov 2026, 13:00 UTC* · resolve by Wed 4 Nov 2026, 12:00 UTC" in text
    )
    assert "plan: enterprise" in text and "customer id: c-77" in text
    assert "Sun 1 Nov 2026, 09:30 UTC" in text


def test_an_alert_without_sla_deadlines_does_not_invent_them() -> None:
    email = render_email(alert())
    assert "Acknowledge by" not in email.text and "Acknowledge by" not in email.html
    assert "Acknowledge by" not in _all_text(slack_message(alert()))


def test_customer_attributes_and_the_headline_are_escaped_everywhere() -> None:
    hostile = alert(
        comment=HOSTILE_COMMENT,
        customer=(("plan", "<!channel> <b>gold</b>"), ("region", "<http://evil.example|eu>")),
    )
    assert HOSTILE_COMMENT[:20] in hostile.headline  # customer text reaches the headline...
    payload = slack_message(hostile)
    text = _all_text(payload)
    for forbidden in ("<!", "<@", "<http", "<script", "<b>", "@channel", "@here"):
        assert forbidden not in text
    assert "&lt;!channel&gt; &lt;b&gt;gold&lt;/b&gt;" in text
    email = render_email(hostile)
    assert "<script>" not in email.html and "<b>gold" not in email.html
    assert "&lt;!channel&gt; &lt;b&gt;gold&lt;/b&gt;" in email.html
    assert "\n" not in email.subject


def test_an_assigned_alert_names_who_assigned_and_is_not_a_new_case_alert() -> None:
    assigned = alert(kind="assigned", step=31, assigned_by="Ana")
    assert assigned.headline == "[P1] Ana assigned case #42 to you (delivery)"
    email = render_email(assigned)
    assert "New case" not in email.subject
    assert "Ana assigned this case to you on the desk" in email.text
    assert "Ana assigned this case to you on the desk" in email.html
    assert slack_message(assigned)["blocks"][0]["text"]["text"].startswith("[P1] Ana assigned")
