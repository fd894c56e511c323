"""Planning and sending digests against a real SMTP server and a Slack stand-in, on both
databases: each digest reaches each target once, escaped, and failures are classified."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import DeskConfig, load_desk_config
from services.desk.models import User
from services.notifier import digests
from shared.db import transaction
from shared.models import DigestSend
from shared.settings import Settings
from tests.desk.factories import make_case, make_user
from tests.support.slack_standin import POST_MESSAGE, SlackStandin
from tests.support.smtp import SMTPRecorder

NOW = datetime(2026, 3, 5, 8, 40, tzinfo=UTC)  # 08:40 in London: the 08:30 digest is due
GRACE = timedelta(seconds=40)
HOSTILE_NAME = "<script>alert(1)</script> @here <!channel>"
HOSTILE_TOUCHPOINT = "<b>bold</b> @channel <http://evil.example|click>"
WEBHOOK = "CXLOOP_SLACK_WEBHOOK_TEST"


def desk_file(tmp_path: Path, **digest_changes: object) -> Path:
    """The example desk file with a daily digest for the delivery team and every owner."""
    document = yaml.safe_load((Path("examples/retailer/desk.yml")).read_text(encoding="utf-8"))
    document["digests"] = {
        "daily": {"at": "08:30"},
        "teams": {"delivery": {"email": ["leads@example.com"],
                               "slack": [{"webhook_url_env": WEBHOOK}]}},
        "owners": {"periods": ["daily"], "channels": ["email", "slack"]},
    } | digest_changes  # fmt: skip
    path = tmp_path / "desk.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
def digest_settings(notifier_settings: Settings, tmp_path: Path) -> Settings:
    return notifier_settings.with_(desk_file=desk_file(tmp_path))


@pytest.fixture
def config(digest_settings: Settings) -> DeskConfig:
    return load_desk_config(digest_settings.desk_file)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> int:
    """An owner of the delivery team linked to Slack, with a hostile name, and two cases."""
    with transaction(sessions) as s:
        owner = make_user(s, "dora@example.com", "owner", team="delivery")
        owner.name, owner.slack_user_id = HOSTILE_NAME, "U0DORA001"
        make_case(
            s,
            created_at=NOW - timedelta(hours=20),
            touchpoint=HOSTILE_TOUCHPOINT,
            ack_due_at=NOW - timedelta(hours=18),
            resolve_due_at=NOW + timedelta(days=2),
        )
        make_case(
            s,
            created_at=NOW - timedelta(days=2),
            status="acknowledged",
            acknowledged_at=NOW - timedelta(days=2),
            resolve_due_at=NOW + timedelta(days=1),
        )
        return owner.id  # fmt: skip


def _rows(sessions: sessionmaker[Session]) -> list[DigestSend]:
    with sessions() as s:
        return list(s.scalars(select(DigestSend).order_by(DigestSend.id)))


def _send_all(sessions: sessionmaker[Session], settings: Settings, config: DeskConfig,
              ids: list[int]) -> list[str]:  # fmt: skip
    return [digests.send(sessions, settings, config, i, now=NOW).status for i in ids]


def test_a_due_digest_reaches_the_team_and_each_owner_once_on_every_channel(
    sessions: sessionmaker[Session], digest_settings: Settings, config: DeskConfig,
    seeded: int, smtp: SMTPRecorder, slack: SlackStandin,
) -> None:  # fmt: skip
    ids = digests.plan(sessions, config, now=NOW, grace=GRACE)
    rows = _rows(sessions)
    assert [(r.key, r.channel, r.target) for r in rows] == [
        ("team:delivery:daily:2026-03-05", "email", "leads@example.com"),
        ("team:delivery:daily:2026-03-05", "slack", f"webhook:{WEBHOOK}"),
        (f"owner:{seeded}:daily:2026-03-05", "email", "dora@example.com"),
        (f"owner:{seeded}:daily:2026-03-05", "slack", "channel:U0DORA001"),
    ]
    assert sorted(ids) == [r.id for r in rows]
    assert _send_all(sessions, digest_settings, config, ids) == ["sent"] * 4
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["dora@example.com",
                                                            "leads@example.com"]  # fmt: skip
    team_mail = next(m.message for m in smtp.messages if m.rcpt_tos == ["leads@example.com"])
    assert team_mail["Subject"] == (
        "Daily digest for team delivery: 2 open (1 overdue), 1 SLA breach, 0 new themes"
    )
    text = team_mail.get_body("plain").get_content()  # type: ignore[union-attr]
    assert "Wed 4 Mar 2026, 08:30 GMT to Thu 5 Mar 2026, 08:30 GMT" in text
    assert "https://cx.example.com/queue?status=open&team=delivery" in text
    html = team_mail.get_body("html").get_content()  # type: ignore[union-attr]
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    owner_html = (
        next(m.message for m in smtp.messages if m.rcpt_tos == ["dora@example.com"])
        .get_body("html")
        .get_content()
    )  # type: ignore[union-attr]
    assert "<script>" not in owner_html and "&lt;script&gt;" in owner_html
    webhook_post = next(p for p in slack.posts if p.path.startswith("/services/"))
    dm = next(p for p in slack.posts if p.path == POST_MESSAGE)
    assert dm.body["channel"] == "U0DORA001"
    for post in (webhook_post, dm):
        payload = json.dumps(post.body)
        assert "@channel" not in payload and "@here" not in payload
        assert "<!channel>" not in payload and "<http://evil" not in payload
    assert "&lt;b&gt;bold&lt;/b&gt;" in json.dumps(webhook_post.body)
    assert [r.status for r in _rows(sessions)] == ["sent"] * 4


def test_planning_again_or_redelivering_a_send_never_sends_twice(
    sessions: sessionmaker[Session], digest_settings: Settings, config: DeskConfig,
    seeded: int, smtp: SMTPRecorder, slack: SlackStandin,
) -> None:  # fmt: skip
    ids = digests.plan(sessions, config, now=NOW, grace=GRACE)
    assert _send_all(sessions, digest_settings, config, ids) == ["sent"] * 4
    for later in (NOW + timedelta(minutes=5), NOW + timedelta(hours=3)):  # later beats
        assert digests.plan(sessions, config, now=later, grace=GRACE) == []
    assert _send_all(sessions, digest_settings, config, ids) == ["skipped"] * 4  # redelivered
    assert (len(smtp.messages), len(slack.posts)) == (2, 2)
    assert len(_rows(sessions)) == 4
    next_day = digests.plan(sessions, config, now=NOW + timedelta(days=1), grace=GRACE)
    assert len(next_day) == 4  # tomorrow's digest is a new key


def test_two_beats_planning_at_once_store_each_digest_once(
    sessions: sessionmaker[Session], config: DeskConfig, seeded: int
) -> None:
    barrier, errors = threading.Barrier(2), []

    def beat() -> None:
        try:
            barrier.wait()
            digests.plan(sessions, config, now=NOW, grace=GRACE)
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(_rows(sessions)) == 4


def test_nothing_is_planned_before_the_local_time_or_after_the_catch_up(
    sessions: sessionmaker[Session], config: DeskConfig, seeded: int
) -> None:
    for now in (NOW - timedelta(minutes=11), NOW + timedelta(hours=6)):
        assert digests.plan(sessions, config, now=now, grace=GRACE) == []
    assert _rows(sessions) == []


def test_an_smtp_refusal_is_retried_and_a_bad_address_fails(
    sessions: sessionmaker[Session], digest_settings: Settings, config: DeskConfig,
    seeded: int, smtp: SMTPRecorder, tmp_path: Path,
) -> None:  # fmt: skip
    ids = digests.plan(sessions, config, now=NOW, grace=GRACE)
    team_email = ids[0]
    counted = {o: REGISTRY.get_sample_value("cxloop_digests_total", {"channel": "email",
               "outcome": o}) or 0 for o in ("sent", "retry", "failed")}  # fmt: skip
    smtp.fail_next(1, "451 4.3.0 Try again later")
    outcome = digests.send(sessions, digest_settings, config, team_email, now=NOW)
    assert outcome.status == "retry" and outcome.retry_in is not None
    with sessions() as s:
        row = s.get_one(DigestSend, team_email)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error is not None and "451" in row.last_error
        due = row.due_at
    assert digests.send(sessions, digest_settings, config, team_email, now=NOW).status == "skipped"
    assert digests.send(sessions, digest_settings, config, team_email, now=due).status == "sent"
    assert len(smtp.messages) == 1
    smtp.fail_next(1, "550 5.1.1 No such user")
    assert digests.send(sessions, digest_settings, config, ids[2], now=NOW).status == "failed"
    with sessions() as s:
        row = s.get_one(DigestSend, ids[2])
        assert row.status == "failed" and row.last_error is not None and "550" in row.last_error
    for outcome, added in (("sent", 1), ("retry", 1), ("failed", 1)):
        labels = {"channel": "email", "outcome": outcome}
        assert REGISTRY.get_sample_value("cxloop_digests_total", labels) == counted[outcome] + added


def test_a_failing_channel_gives_up_after_the_catch_up(
    sessions: sessionmaker[Session], digest_settings: Settings, config: DeskConfig,
    seeded: int, smtp: SMTPRecorder,
) -> None:  # fmt: skip
    ids = digests.plan(sessions, config, now=NOW, grace=GRACE)
    smtp.fail_next(1, "451 4.3.0 Try again later")
    late = NOW + config.digests.catch_up
    outcome = digests.send(sessions, digest_settings, config, ids[0], now=late)
    assert outcome.status == "failed"
    with sessions() as s:
        assert "gave up after 1 attempts" in (s.get_one(DigestSend, ids[0]).last_error or "")


def test_an_owner_disabled_before_the_send_gets_nothing(
    sessions: sessionmaker[Session], digest_settings: Settings, config: DeskConfig,
    seeded: int, smtp: SMTPRecorder,
) -> None:  # fmt: skip
    ids = digests.plan(sessions, config, now=NOW, grace=GRACE)
    with transaction(sessions) as s:
        s.get_one(User, seeded).active = False
    assert digests.send(sessions, digest_settings, config, ids[2], now=NOW).status == "failed"
    assert smtp.messages == []


def test_without_smtp_a_digest_lands_in_the_outbox(
    sessions: sessionmaker[Session], digest_settings: Settings, config: DeskConfig, seeded: int,
) -> None:  # fmt: skip
    settings = digest_settings.with_(smtp_host="")
    ids = digests.plan(sessions, config, now=NOW, grace=GRACE)
    assert digests.send(sessions, settings, config, ids[0], now=NOW).status == "sent"
    written = json.loads((settings.outbox_dir / f"digest-{ids[0]}.json").read_text())
    assert written["key"] == "team:delivery:daily:2026-03-05"
    assert written["subject"].startswith("Daily digest for team delivery")
    assert "CXLOOP_SMTP_HOST" in written["why"]
