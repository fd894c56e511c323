"""An incident alert as owners read it: the count, three escaped examples, the incident's link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.notifier import alert_content, incidents, service
from services.notifier.formatting import render_email, slack_message
from services.notifier.message import Alert
from services.router.config import parse_config
from shared.models import Delivery
from tests.router.test_incidents import NOW, ROUTES, flush, route, store

HOSTILE = "Site down <!channel> <script>x</script> @here"


def alerts(sessions: sessionmaker[Session], routes: str = ROUTES) -> list[Alert]:
    """Route four complaints of one group, flush, and build each delivery's alert."""
    config = parse_config(routes, source="routes.yml")
    for comment in (HOSTILE, "Login page broken", "Website slow", "Website down again"):
        route(sessions, config, store(sessions, comment))
    sent = flush(sessions, 1, NOW + timedelta(seconds=10))
    built = []
    with sessions() as session, session.begin():
        for delivery_id in sent.delivery_ids:
            delivery = service.claim_delivery(
                session, delivery_id=delivery_id, now=NOW + timedelta(seconds=11),
                lease=timedelta(seconds=30),
            )  # fmt: skip
            assert delivery is not None
            built.append(alert_content.build_alert(
                delivery, public_url="https://desk.example.com",
                incident=incidents.note_of(session, delivery), link_secret="secret",
            ))  # fmt: skip
    return built


def test_the_alert_counts_the_group_and_quotes_three_comments_escaped(
    sessions: sessionmaker[Session],
) -> None:
    email, slack = alerts(sessions)
    assert email.headline == (
        "[INCIDENT] Incident #1: 4 similar complaints (touchpoint website, region eu)"
    )
    assert email.case_url == "https://desk.example.com/incidents/1"
    assert email.links == () and not email.actionable  # no one-case actions on a group
    assert email.incident is not None
    assert email.incident.examples == (HOSTILE, "Login page broken", "Website slow")
    content = render_email(email)
    assert "&lt;script&gt;x&lt;/script&gt;" in content.html and "<script>x" not in content.html
    assert "4 similar complaints since" in content.text
    payload = str(slack_message(slack))
    assert "<!channel>" not in payload and "&lt;!channel&gt;" in payload
    assert "@here" not in payload.replace("@\u2060here", "")
    assert "Open incident" in payload and "/incidents/1" in payload


def test_a_receiver_without_personal_data_gets_the_count_but_no_comment(
    sessions: sessionmaker[Session],
) -> None:
    private = ROUTES.replace('    slack: [{channel: "#web"}]', "    personal_data: false")
    (email,) = alerts(sessions, private)
    assert email.incident is not None and email.incident.examples == ()
    assert email.incident.count == 4 and "Login page" not in render_email(email).text
    with sessions() as session:
        assert session.scalars(select(Delivery.kind)).all() == ["incident"]
