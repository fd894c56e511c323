"""The whole loop on the production shape: gunicorn, router, notifier and beat as real processes
on PostgreSQL and Redis, alerting a real SMTP server and a Slack stand-in."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.e2e.conftest import KEY, OWNER
from tests.e2e.harness import dissatisfied, healthcheck, http, running, wait_until
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_a_dissatisfied_response_reaches_its_owner_by_email_and_slack(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str],
    smtp: SMTPRecorder, slack: SlackStandin,
) -> None:  # fmt: skip
    names = ("ingest", "router", "notifier", "beat")
    with running(loop_settings, tmp_path, *names, env=loop_env) as system:
        status, body = http("POST", system.base_url + "/v1/responses", dissatisfied("full-1"), KEY)
        assert status == 202, body

        wait_until(lambda: smtp.messages and slack.posts, 60, "the email and the Slack alert")
        (mail,) = smtp.messages
        assert mail.rcpt_tos == [OWNER]
        assert "parcel arrived damaged" in mail.message.get_body(("plain",)).get_content()
        (post,) = slack.posts
        assert post.path.startswith("/services/")
        assert "parcel arrived damaged" in str(post.body)

        status, page = http("GET", system.base_url + "/v1/cases", key=KEY)
        assert status == 200
        (summary,) = page["items"]
        assert summary["response"]["id"] == body["id"]
        assert summary["owner"] == "delivery-team"

        def all_sent() -> dict | None:
            case = http("GET", f"{system.base_url}/v1/cases/{summary['id']}", key=KEY)[1]
            done = all(d["status"] == "sent" for d in case["deliveries"])
            return case if done else None

        case = wait_until(all_sent, 30, "both deliveries to be recorded as sent")
        assert sorted(d["channel"] for d in case["deliveries"]) == ["email", "slack"]
        assert case["response"]["comment"].startswith("The courier was three days late")
        assert case["reasons"]
        assert slack.webhook_url.rsplit("/", 1)[1] not in str(case)
        probe, host = healthcheck(), socket.gethostname()
        assert probe.check_web(loop_settings)
        for service in ("router", "notifier"):
            assert probe.check_worker(loop_settings, service, host)
        assert not probe.check_worker(loop_settings, "nobody", host, timeout_s=1)
        logs = system.logs(tail=None)
    assert slack.webhook_url.rsplit("/", 1)[1] not in logs
