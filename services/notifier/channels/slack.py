"""Slack: an incoming webhook (`webhook:<ENV_VAR>`) or the bot API (`channel:<#name or id>`)."""

from __future__ import annotations

import logging
import os
import re
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from services.notifier.channels.base import (
    AmbiguousError,
    Channel,
    PermanentError,
    Rate,
    RateLimited,
    TransientError,
)
from services.notifier.formatting import slack_message
from services.notifier.message import Alert

if TYPE_CHECKING:
    from requests.sessions import _Settings

log = logging.getLogger(__name__)
WEBHOOK = "webhook:"
CHANNEL = "channel:"
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")
EVENT_TYPE = "cxloop_alert"  # message metadata that finds a post again after a timeout
HISTORY_PAGES = 10  # conversations.history pages read (up to 200 messages each) per check
# chat.postMessage errors that a later attempt may not hit; every other error is permanent.
TRANSIENT_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackChannel(Channel):
    """Post a Block Kit alert; the webhook URL and token never leave this object."""

    type = "slack"
    rate = Rate(per_second=1.0, burst=3)  # Slack allows about one message per second per channel

    def unavailable(self, target: str) -> str | None:
        if target.startswith(WEBHOOK) and _ENV_NAME.fullmatch(target.removeprefix(WEBHOOK)):
            name = target.removeprefix(WEBHOOK)  # read at start, only if a config file names it
            return (
                None
                if self.settings.slack_webhooks.get(name)
                else f"webhook variable {name} is not set"
            )
        if target.startswith(CHANNEL) and not self.settings.slack_token:
            return "no Slack bot token (CXLOOP_SLACK_TOKEN)"
        return None

    def send(self, alert: Alert, target: str) -> str | None:
        return self.post(
            slack_message(alert), target,
            metadata={"event_type": EVENT_TYPE,
                      "event_payload": {"delivery_id": str(alert.delivery_id)}},
        )  # fmt: skip

    def post(
        self, payload: dict[str, Any], target: str, metadata: dict[str, Any] | None = None
    ) -> str | None:
        """Post a Block Kit payload to a target; the bot API also gets `metadata`.

        Return "<channel id>:<ts>" of a bot post, which `update` can edit; None for a webhook.
        """
        if not (target.startswith(WEBHOOK) or target.startswith(CHANNEL)):
            raise PermanentError(f"bad Slack target {target!r}: use webhook:<ENV> or channel:<id>")
        if target.startswith(WEBHOOK) and not _ENV_NAME.fullmatch(target.removeprefix(WEBHOOK)):
            raise PermanentError(f"bad webhook variable name in {target!r}")
        reason = self.unavailable(target)
        if reason is not None:
            raise PermanentError(reason)
        if target.startswith(WEBHOOK):
            url = self.settings.slack_webhooks[target.removeprefix(WEBHOOK)]  # a checked URL
            response = self._post(url, payload, headers={})
            _check_http(response)
            return None  # Slack answers a webhook with "ok": no id, so it cannot be edited
        payload = {**payload, "channel": target.removeprefix(CHANNEL)}
        if metadata is not None:
            payload["metadata"] = metadata
        response = self._post(
            self.settings.slack_api_url.rstrip("/") + "/chat.postMessage",
            payload,
            headers={"Authorization": f"Bearer {self.settings.slack_token}"},
        )
        _check_http(response)
        return _message_ref(_check_api(response))

    def update(self, ref: str, payload: dict[str, Any]) -> None:
        """Replace a bot-posted message (`ref` from `send`) with chat.update."""
        channel, _, ts = ref.partition(":")
        body = {k: v for k, v in payload.items() if k in ("text", "blocks")}
        response = self._post(
            self.settings.slack_api_url.rstrip("/") + "/chat.update",
            body | {"channel": channel, "ts": ts},
            headers={"Authorization": f"Bearer {self.settings.slack_token}"},
        )
        _check_http(response)
        _check_api(response)

    def endpoint(self, target: str) -> str:
        """A webhook is its own endpoint; every bot-token post goes to the one workspace."""
        return f"slack:{target}" if target.startswith(WEBHOOK) else "slack:bot"

    def already_sent(self, alert: Alert, target: str, since: datetime) -> bool:
        """Look for this delivery's metadata in the channel's history (bot token only).

        A webhook answers nothing we could look up, so for it the answer is always False.
        """
        if not target.startswith(CHANNEL) or not self.settings.slack_token:
            return False
        try:
            return self._find(alert, target, since)
        except PermanentError as exc:
            # No history scope, say: a possible duplicate is better than a lost alert.
            log.warning(
                "cannot look for an earlier post, sending again: %s",
                exc,
                extra={"delivery_id": alert.delivery_id, "case_id": alert.case_id},
            )
            return False

    def _find(self, alert: Alert, target: str, since: datetime) -> bool:
        channel = self._channel_id(target.removeprefix(CHANNEL))
        wanted = str(alert.delivery_id)
        params: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{since.timestamp() - 60:.6f}",  # a minute for clock skew
            "include_all_metadata": "true",
            "limit": 200,
        }
        for _ in range(HISTORY_PAGES):
            body = self._api_get("conversations.history", params)
            for message in body.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE and payload.get("delivery_id") == wanted:
                    return True
            cursor = (body.get("response_metadata") or {}).get("next_cursor")
            if not body.get("has_more") or not cursor:
                return False
            params["cursor"] = cursor
        raise TransientError("too much channel history to check for an earlier post")

    def _channel_id(self, name: str) -> str:
        """Return a channel's id: history needs one, while posts also accept `#name`."""
        if _CHANNEL_ID.fullmatch(name):
            return name
        wanted = name.removeprefix("#")
        params: dict[str, Any] = {"types": "public_channel,private_channel", "limit": 1000}
        for _ in range(HISTORY_PAGES):
            body = self._api_get("conversations.list", params)
            for channel in body.get("channels") or []:
                if channel.get("name") == wanted:
                    return str(channel["id"])
            cursor = (body.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
            params["cursor"] = cursor
        raise PermanentError(f"no Slack channel named {name!r} visible to the bot")

    def _api_get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        url = self.settings.slack_api_url.rstrip("/") + "/" + method
        headers = {"Authorization": f"Bearer {self.settings.slack_token}"}
        try:
            response = _http_session(os.getpid()).get(
                url, params=params, headers=headers, timeout=self.settings.http_timeout_s
            )
        except requests.RequestException as exc:
            raise TransientError(f"cannot read Slack {method}: {type(exc).__name__}") from None
        _check_http(response)
        _check_api(response)
        body: dict[str, Any] = response.json()
        return body

    def _post(
        self, url: str, payload: dict[str, Any], headers: dict[str, str]
    ) -> requests.Response:
        # Exceptions from requests quote the URL, which holds the webhook secret: never chain them.
        try:
            return _http_session(os.getpid()).post(
                url,
                json=payload,
                headers=headers,
                timeout=self.settings.http_timeout_s,
                allow_redirects=False,
            )
        except requests.ConnectTimeout:
            raise TransientError("cannot reach Slack: ConnectTimeout") from None
        except requests.Timeout:
            raise AmbiguousError("Slack did not answer in time after the post was sent") from None
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise TransientError(f"cannot reach Slack: {type(exc).__name__}") from None
            raise AmbiguousError(f"Slack connection lost: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach Slack: {type(exc).__name__}") from None


def _http_session(pid: int) -> requests.Session:
    """One keep-alive session per thread of a process (never shared across a fork or between
    the notifier's threads: requests does not promise a Session is thread-safe): a TLS
    handshake per alert would cost more than the alert."""
    return _session_of(pid, threading.get_ident())


@cache
def _session_of(pid: int, thread: int) -> requests.Session:
    return slack_session()


def slack_session() -> requests.Session:
    """A keep-alive session that reads the proxy environment once per host."""
    return _EnvironmentOnce()


class _EnvironmentOnce(requests.Session):
    """A session that reads proxy and CA settings from the environment once per host.

    requests reads them on every request by scanning the whole environment twice, and the
    notifier's environment holds a variable per Slack webhook: with a few hundred channels that
    scan cost more CPU than the rest of the alert. They depend on the scheme and host alone
    (no_proxy matches hosts), so the first answer for a host stands for the process's life.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str], _Settings] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._environment:
            self._environment[key] = super().merge_environment_settings(
                url, proxies, stream, verify, cert
            )
        found = self._environment[key].copy()
        found["proxies"] = dict(found["proxies"])
        return found


def _never_connected(exc: BaseException) -> bool:
    """Say whether a connection error happened before a byte was sent (refused, DNS, connect)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, NewConnectionError | ConnectTimeoutError | NameResolutionError):
            return True
        reason = getattr(seen, "reason", None)
        arg = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = reason if isinstance(reason, BaseException) else arg or seen.__cause__
    return False


def _check_http(response: requests.Response) -> None:
    status = response.status_code
    if status == 429:
        raise RateLimited("Slack rate limit (HTTP 429)", retry_after=_retry_after(response))
    if status == 503:
        message = f"Slack HTTP {status}: {_short(response.text)}"
        raise TransientError(message, retry_after=_retry_after(response))
    if status >= 500:  # a gateway or server error may come after Slack stored the message
        raise AmbiguousError(f"Slack HTTP {status}: {_short(response.text)}")
    if status >= 300:
        raise PermanentError(f"Slack HTTP {status}: {_short(response.text)}")


def _message_ref(body: dict[str, Any]) -> str | None:
    """ "<channel id>:<ts>" of a posted message, from chat.postMessage's answer."""
    channel, ts = body.get("channel"), body.get("ts")
    return f"{channel}:{ts}" if isinstance(channel, str) and isinstance(ts, str) else None


def _check_api(response: requests.Response) -> dict[str, Any]:
    """Return Slack's answer if it is ok; raise the error it names, classified."""
    try:
        body = response.json()
    except ValueError:
        raise TransientError(f"Slack answered non-JSON: {_short(response.text)}") from None
    if not isinstance(body, dict):
        raise TransientError("Slack answered an unexpected JSON value")
    if body.get("ok") is True:
        return body
    error = str(body.get("error", "unknown_error"))
    if error == "ratelimited":
        raise RateLimited(f"Slack error {error}", retry_after=_retry_after(response))
    if error in TRANSIENT_API_ERRORS:
        raise TransientError(f"Slack error {error}", retry_after=_retry_after(response))
    raise PermanentError(f"Slack error {error}")


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from the Retry-After header (seconds or HTTP date) or JSON retry_after."""
    header = response.headers.get("Retry-After", "").strip()
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    try:
        value = response.json().get("retry_after")
    except (ValueError, AttributeError):
        return None
    return max(0.0, float(value)) if isinstance(value, int | float) else None


def _short(text: str) -> str:
    return " ".join(text.split())[:200]
