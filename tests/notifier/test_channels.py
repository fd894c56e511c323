"""Each channel against a real local server: what it sends and how it classifies failures."""

from __future__ import annotations

import contextlib
import gc
import json
import socket
import threading
import warnings
from pathlib import Path

import pytest
import requests

from services.notifier.channels import CHANNELS, PermanentError, TransientError, resolve
from services.notifier.channels.email import EmailChannel
from services.notifier.channels.outbox import OutboxChannel
from services.notifier.channels.slack import SlackChannel, slack_session
from shared.settings import Settings
from shared.settings.secret import NO_SECRET
from tests.notifier.alerts import HEADLINE, alert
from tests.support.slack_standin import POST_MESSAGE, Answer, SlackStandin
from tests.support.smtp import SMTPRecorder, free_port, smtp_server
from tests.support.waiting import wait_until

WEBHOOK_VAR = "CXLOOP_SLACK_WEBHOOK_TEST"


def test_registry_knows_every_channel_by_type() -> None:
    assert set(CHANNELS) == {"email", "slack", "outbox"}


def test_email_is_multipart_text_and_html_to_the_target(
    channel_settings: Settings, smtp: SMTPRecorder
) -> None:
    EmailChannel(channel_settings).send(alert(), "lead@example.com")
    [received] = smtp.messages
    assert received.rcpt_tos == ["lead@example.com"]
    assert received.message["Subject"] == HEADLINE
    assert received.message["To"] == "lead@example.com"
    assert received.message.get_content_type() == "multipart/alternative"
    text = received.message.get_body(("plain",))
    html = received.message.get_body(("html",))
    assert text is not None and "The parcel arrived late" in text.get_content()
    assert html is not None and "https://cx.example.com/cases/42" in html.get_content()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("451 4.3.0 Try again later", TransientError),
        ("421 4.7.0 Too busy", TransientError),
        ("550 5.1.1 No such user", PermanentError),
        ("554 5.7.1 Rejected", PermanentError),
    ],
)
def test_smtp_4xx_is_transient_and_5xx_permanent(
    channel_settings: Settings, smtp: SMTPRecorder, reply: str, error: type[Exception]
) -> None:
    smtp.fail_next(1, reply)
    with pytest.raises(error, match=reply[:3]):
        EmailChannel(channel_settings).send(alert(), "lead@example.com")
    assert smtp.messages == []


def test_an_email_the_server_accepted_is_sent_whatever_quit_answers(
    channel_settings: Settings, smtp: SMTPRecorder
) -> None:
    """The server owns a message once it accepts the final dot; failing the send after that would
    make the worker send the alert a second time."""
    smtp.quit_reply = "421 4.3.2 Shutting down"
    EmailChannel(channel_settings).send(alert(), "lead@example.com")
    assert len(smtp.messages) == 1


def test_smtp_server_down_is_transient(channel_settings: Settings) -> None:
    down = channel_settings.with_(smtp_port=free_port())
    with pytest.raises(TransientError, match="SMTP unreachable"):
        EmailChannel(down).send(alert(), "lead@example.com")


def test_invalid_email_address_is_permanent(channel_settings: Settings) -> None:
    with pytest.raises(PermanentError, match="invalid email address"):
        EmailChannel(channel_settings).send(alert(), "not an address")


def test_webhook_posts_block_kit_to_the_url_in_the_named_variable(
    channel_settings: Settings, slack: SlackStandin
) -> None:
    SlackChannel(channel_settings).send(alert(), f"webhook:{WEBHOOK_VAR}")
    [post] = slack.posts
    assert post.path == "/services/T000/B000/standinsecret"
    assert post.body["blocks"][0]["type"] == "header"
    assert post.body["unfurl_links"] is False


def test_bot_token_posts_to_chat_post_message_with_the_channel(
    channel_settings: Settings, slack: SlackStandin
) -> None:
    SlackChannel(channel_settings).send(alert(), "channel:#delivery-alerts")
    [post] = slack.posts
    assert post.path == POST_MESSAGE
    assert post.body["channel"] == "#delivery-alerts"
    assert post.headers["Authorization"] == f"Bearer {slack.token}"


@pytest.mark.parametrize(
    ("answer", "error", "retry_after"),
    [
        (Answer(429, "rate_limited", {"Retry-After": "7"}), TransientError, 7.0),
        (Answer(500, "rollup_error"), TransientError, None),
        (Answer(503, "unavailable"), TransientError, None),
        (Answer(404, "channel_not_found"), PermanentError, None),
        (Answer(403, "action_prohibited"), PermanentError, None),
        (Answer(410, "channel_is_archived"), PermanentError, None),
    ],
)
def test_webhook_failures_are_classified(
    channel_settings: Settings,
    slack: SlackStandin,
    answer: Answer,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    slack.answer_next(1, answer)
    with pytest.raises(error) as raised:
        SlackChannel(channel_settings).send(alert(), f"webhook:{WEBHOOK_VAR}")
    assert "standinsecret" not in str(raised.value)
    if retry_after is not None:
        assert isinstance(raised.value, TransientError)
        assert raised.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("answer", "error", "retry_after"),
    [
        (Answer(200, {"ok": False, "error": "channel_not_found"}), PermanentError, None),
        (Answer(200, {"ok": False, "error": "invalid_auth"}), PermanentError, None),
        (Answer(200, {"ok": False, "error": "not_in_channel"}), PermanentError, None),
        (Answer(200, {"ok": False, "error": "ratelimited", "retry_after": 3}), TransientError, 3),
        (Answer(200, {"ok": False, "error": "internal_error"}), TransientError, None),
        (Answer(429, {"error": "ratelimited"}, {"Retry-After": "2"}), TransientError, 2),
        (Answer(502, "<html>bad gateway</html>"), TransientError, None),
        (Answer(200, "<html>not json</html>"), TransientError, None),
    ],
)
def test_chat_post_message_failures_are_classified(
    channel_settings: Settings,
    slack: SlackStandin,
    answer: Answer,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    slack.answer_next(1, answer)
    with pytest.raises(error) as raised:
        SlackChannel(channel_settings).send(alert(), "channel:#delivery-alerts")
    if retry_after is not None:
        assert isinstance(raised.value, TransientError)
        assert raised.value.retry_after == retry_after


def test_wrong_bot_token_is_permanent(channel_settings: Settings, slack: SlackStandin) -> None:
    slack.token = "xoxb-another"
    with pytest.raises(PermanentError, match="invalid_auth"):
        SlackChannel(channel_settings).send(alert(), "channel:#delivery-alerts")


def test_slack_timeout_is_transient_and_hides_the_webhook_url(
    channel_settings: Settings, slack: SlackStandin
) -> None:
    slack.answer_next(1, Answer(200, "ok", delay=1.5))
    with pytest.raises(TransientError) as raised:
        SlackChannel(channel_settings.with_(http_timeout_s=0.3)).send(
            alert(), f"webhook:{WEBHOOK_VAR}"
        )
    # The requests exception quotes the URL; it is neither the message nor shown in tracebacks.
    assert raised.value.__suppress_context__ and raised.value.__cause__ is None
    assert "standinsecret" not in str(raised.value)


def test_slack_unreachable_is_transient(
    channel_settings: Settings,
) -> None:
    down = {WEBHOOK_VAR: f"http://127.0.0.1:{free_port()}/services/secret"}
    with pytest.raises(TransientError, match="cannot reach Slack"):
        SlackChannel(channel_settings.with_(slack_webhooks=down)).send(
            alert(), f"webhook:{WEBHOOK_VAR}"
        )


@pytest.mark.parametrize("target", ["#general", "webhook:lower_case", "webhook:"])
def test_malformed_slack_target_is_permanent(channel_settings: Settings, target: str) -> None:
    with pytest.raises(PermanentError):
        SlackChannel(channel_settings).send(alert(), target)


def test_outbox_writes_one_file_per_delivery_and_a_repeat_overwrites(
    channel_settings: Settings,
) -> None:
    outbox = OutboxChannel(channel_settings)
    outbox.send(alert(comment="first"), "lead@example.com")
    outbox.send(alert(comment="second"), "lead@example.com")
    files = list(channel_settings.outbox_dir.iterdir())
    assert [f.name for f in files] == ["case-42-delivery-7.json"]
    document = json.loads(files[0].read_text())
    assert document["alert"]["comment"] == "second"
    assert document["target"] == "lead@example.com"
    assert document["subject"] == HEADLINE.replace("The parcel arrived late and damaged", "second")


@pytest.mark.parametrize(
    ("changes", "channel", "target", "reason"),
    [
        ({"smtp_host": ""}, "email", "lead@example.com", "no SMTP host"),
        ({}, "slack", "webhook:CXLOOP_SLACK_WEBHOOK_UNSET", "WEBHOOK_UNSET is not set"),
        ({"slack_token": NO_SECRET}, "slack", "channel:#alerts", "no Slack bot token"),
        ({}, "outbox", "anything", None),
    ],
)
def test_unconfigured_channels_fall_back_to_the_outbox(
    channel_settings: Settings, changes: dict, channel: str, target: str, reason: str | None
) -> None:
    route = resolve(channel_settings.with_(**changes), channel, target)
    assert isinstance(route.channel, OutboxChannel)
    assert route.target == target
    assert (route.fallback is None) if reason is None else (reason in (route.fallback or ""))


def test_configured_channels_are_used_as_they_are(channel_settings: Settings) -> None:
    assert isinstance(resolve(channel_settings, "email", "a@example.com").channel, EmailChannel)
    route = resolve(channel_settings, "slack", "channel:#alerts")
    assert isinstance(route.channel, SlackChannel) and route.fallback is None


def test_unknown_channel_is_permanent(channel_settings: Settings) -> None:
    with pytest.raises(PermanentError, match="unknown channel"):
        resolve(channel_settings, "carrier-pigeon", "x")


def test_outbox_dir_is_under_the_data_dir(channel_settings: Settings, tmp_path: Path) -> None:
    assert channel_settings.outbox_dir == tmp_path / "data" / "outbox"


def test_slack_session_reads_proxies_from_the_environment_once_per_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests scans the environment on every request; ours asks once per scheme and host and
    # answers what requests itself would, HTTPS_PROXY and NO_PROXY included.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "slack.internal")
    ours, theirs = slack_session(), requests.Session()
    urls = ("https://hooks.slack.com/services/T0/B0/x", "https://slack.internal/api/chat")
    for url in urls:
        expected = theirs.merge_environment_settings(url, {}, None, None, None)
        assert ours.merge_environment_settings(url, {}, None, None, None) == expected
    assert ours.merge_environment_settings(urls[0], {}, None, None, None)["proxies"]["https"] == (
        "http://proxy.internal:3128"
    )
    assert "https" not in ours.merge_environment_settings(urls[1], {}, None, None, None)["proxies"]
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere:3128")  # read once: not seen any more
    assert ours.merge_environment_settings(urls[0] + "?b", {}, None, None, None)["proxies"][
        "https"
    ] == ("http://proxy.internal:3128")


def test_the_smtp_stand_in_stops_cleanly_while_clients_keep_connecting() -> None:
    """The fault harness stops it under traffic. A socket it leaves to the garbage collector
    warns, and the suite makes that an error in whichever test happens to collect it."""
    for _ in range(5):
        clients: list[socket.socket] = []
        done = threading.Event()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with smtp_server() as recorder:
                address = (recorder.host, recorder.port)
                thread = threading.Thread(target=_keep_connecting, args=(address, clients, done))
                thread.start()
                wait_until(lambda: len(clients) >= 50, timeout=30)  # noqa: B023 (waited here)
            done.set()
            thread.join()
            for client in clients:
                client.close()
            gc.collect()
        assert not [str(w.message) for w in caught if "unclosed" in str(w.message)]


def _keep_connecting(
    address: tuple[str, int], clients: list[socket.socket], done: threading.Event
) -> None:
    while not done.is_set():
        with contextlib.suppress(OSError):
            clients.append(socket.create_connection(address, timeout=5))
