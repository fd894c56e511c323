"""A real local HTTP server standing in for Slack's incoming webhooks and Web API.

It answers chat.postMessage (keeping each message's `metadata`), chat.update (replacing a
posted message), and conversations.history and conversations.list the way Slack does, so a
client can look for what it posted. It also plays Slack's interactivity: `click` sends an app
a block_actions request signed the way Slack signs (v0 HMAC-SHA256 with the app's signing
secret), users.info answers the members' emails, and the `response_url` it hands out records
what the app answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

POST_MESSAGE = "/api/chat.postMessage"
UPDATE = "/api/chat.update"
HISTORY = "/api/conversations.history"
LIST = "/api/conversations.list"
USERS_INFO = "/api/users.info"
RESPONSE_URL = "/actions/T000/"  # Slack's are https://hooks.slack.com/actions/T.../...
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


@dataclass(frozen=True)
class Post:
    """One request Slack received: the path, its headers and JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)  # when it was stored


@dataclass(frozen=True)
class Answer:
    """A scripted reply: HTTP status, headers and body (a dict is sent as JSON)."""

    status: int
    body: str | dict[str, Any] = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    store: bool = False  # accept the post as Slack would, then answer this (e.g. after a delay)


@dataclass
class SlackStandin:
    """Records accepted posts; answers scripted replies first, then success like Slack does."""

    url: str = ""
    token: str = "xoxb-standin-token"
    posts: list[Post] = field(default_factory=list)
    requests: int = 0
    history_reads: int = 0
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by channel id
    names: dict[str, str] = field(default_factory=dict)  # channel id -> name
    outage: Answer | None = None  # while set, every request gets this answer
    signing_secret: str = "standin-signing-secret"
    members: dict[str, str] = field(default_factory=dict)  # Slack member id -> profile email
    replies: list[Post] = field(default_factory=list)  # what apps posted to a response_url
    updates: list[Post] = field(default_factory=list)  # accepted chat.update calls
    _script: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        """Base URL to use as settings.slack_api_url."""
        return self.url + "/api"

    @property
    def webhook_url(self) -> str:
        """An incoming-webhook URL, secret path included, as Slack issues them."""
        return self.url + "/services/T000/B000/standinsecret"

    def answer_next(self, count: int, answer: Answer) -> None:
        """Reply `answer` to the next `count` requests."""
        with self._lock:
            self._script.extend([answer] * count)

    def channel_id(self, channel: str) -> str:
        """Return the id Slack gives a channel named `channel` (an id stays itself)."""
        if _CHANNEL_ID.fullmatch(channel):
            return channel
        name = channel.removeprefix("#")
        cid = "C" + hashlib.sha256(name.encode()).hexdigest()[:9].upper()
        self.names[cid] = name
        return cid

    def reply(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        """Decide the answer to one POST, recording it if it is accepted."""
        with self._lock:
            self.requests += 1
            if self.outage is not None:
                return self.outage
            scripted = self._script.pop(0) if self._script else None
            try:
                body = json.loads(raw)
            except ValueError:
                return scripted or Answer(400, "invalid_payload")
            if path == POST_MESSAGE and isinstance(body, dict):
                self.channel_id(str(body.get("channel", "")))  # the workspace has the channel
            if scripted is not None and not scripted.store:
                return scripted
            if path.startswith(RESPONSE_URL):
                self.replies.append(Post(path, headers, body))
                return Answer(200, {"ok": True})
            if path == POST_MESSAGE:
                if headers.get("Authorization") != f"Bearer {self.token}":
                    return Answer(200, {"ok": False, "error": "invalid_auth"})
                self.posts.append(Post(path, headers, body))
                answer = self._store(body)
                return scripted or answer
            if path == UPDATE:
                if headers.get("Authorization") != f"Bearer {self.token}":
                    return Answer(200, {"ok": False, "error": "invalid_auth"})
                return scripted or self._update(Post(path, headers, body))
            if path.startswith("/services/"):
                self.posts.append(Post(path, headers, body))
                return scripted or Answer(200, "ok")
            return Answer(404, "no_service")

    def _store(self, body: dict[str, Any]) -> Answer:
        cid = self.channel_id(str(body.get("channel", "")))
        ts = f"{time.time():.6f}"
        message: dict[str, Any] = {"type": "message", "ts": ts, "text": body.get("text", "")}
        if isinstance(body.get("metadata"), dict):
            message["metadata"] = body["metadata"]
        message["blocks"] = body.get("blocks") or []
        self.messages.setdefault(cid, []).append(message)
        return Answer(200, {"ok": True, "channel": cid, "ts": ts})

    def _update(self, post: Post) -> Answer:
        """Replace the text and blocks of a posted message, as chat.update does."""
        cid, ts = str(post.body.get("channel", "")), str(post.body.get("ts", ""))
        found = [m for m in self.messages.get(cid, []) if m["ts"] == ts]
        if not found:
            return Answer(200, {"ok": False, "error": "message_not_found"})
        found[0].update(text=post.body.get("text", ""), blocks=post.body.get("blocks") or [])
        self.updates.append(post)
        return Answer(200, {"ok": True, "channel": cid, "ts": ts})

    def message(self, channel: str) -> dict[str, Any]:
        """The latest message in a channel, as it reads now."""
        return self.messages[self.channel_id(channel)][-1]

    def read(self, path: str, headers: dict[str, str], query: str) -> Answer:
        """Answer a GET: conversations.history and conversations.list, as Slack does."""
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        with self._lock:
            self.requests += 1
            if self.outage is not None:
                return self.outage
            if self._script:
                return self._script.pop(0)
            if headers.get("Authorization") != f"Bearer {self.token}":
                return Answer(200, {"ok": False, "error": "invalid_auth"})
            if path == USERS_INFO:
                email = self.members.get(params.get("user", ""))
                if email is None:
                    return Answer(200, {"ok": False, "error": "user_not_found"})
                member = {"id": params["user"], "profile": {"email": email}}
                return Answer(200, {"ok": True, "user": member})
            if path == LIST:
                channels = [{"id": c, "name": n} for c, n in self.names.items()]
                return Answer(200, {"ok": True, "channels": channels})
            if path != HISTORY:
                return Answer(404, "no_service")
            self.history_reads += 1
            cid = params.get("channel", "")
            if cid not in self.messages and cid not in self.names:
                return Answer(200, {"ok": False, "error": "channel_not_found"})
            return Answer(200, self._history(cid, params))

    def _history(self, cid: str, params: dict[str, str]) -> dict[str, Any]:
        oldest = float(params.get("oldest", "0"))
        limit = int(params.get("limit", "100"))
        start = int(params.get("cursor", "0") or 0)
        newest_first = [m for m in reversed(self.messages.get(cid, [])) if float(m["ts"]) > oldest]
        page = newest_first[start : start + limit]
        if params.get("include_all_metadata") != "true":  # Slack hides metadata unless asked
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def block_actions(
        self,
        blocks: list[dict[str, Any]],
        *,
        user: str,
        action_id: str,
        option: str | None = None,
    ) -> dict[str, Any]:
        """The payload Slack sends when `user` clicks a button (or picks `option`) in a message.

        The element is found in the message's own blocks, as Slack would: a button's value, or
        the option of a select whose text is `option`.
        """
        element = next(
            e
            for block in blocks
            if block.get("type") == "actions"
            for e in block.get("elements", [])
            if e.get("action_id") == action_id
        )
        action: dict[str, Any] = {
            "action_id": action_id, "block_id": "cx_actions", "type": element["type"],
            "action_ts": f"{time.time():.6f}",
        }  # fmt: skip
        if element["type"] == "static_select":
            chosen = next(o for o in element["options"] if o["text"]["text"] == option)
            action["selected_option"] = chosen
        else:
            action["value"] = element.get("value", "")
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": "T000"},
            "team": {"id": "T000", "domain": "standin"},
            "api_app_id": "A000",
            "trigger_id": f"{int(time.time())}.{secrets.token_hex(8)}",
            "response_url": f"{self.url}{RESPONSE_URL}{secrets.token_hex(6)}",
            "container": {"type": "message", "message_ts": "1.000001"},
            "message": {"type": "message", "ts": "1.000001", "text": "", "blocks": blocks},
            "actions": [action],
        }

    def signed(
        self, payload: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Encode a payload as Slack does (form field `payload`) and sign it."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return body, self.sign(body, timestamp=timestamp, secret=secret)

    def sign(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        """The headers Slack sends with a body: v0=HMAC-SHA256("v0:<ts>:<body>")."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        key = (self.signing_secret if secret is None else secret).encode()
        digest = hmac.new(key, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        }

    def click(self, app_url: str, payload: dict[str, Any], **signing: Any) -> requests.Response:
        """Send a signed interaction request to the app, as Slack does after a click."""
        body, headers = self.signed(payload, **signing)
        return requests.post(app_url, data=body, headers=headers, timeout=10)


def _handler(standin: SlackStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer(standin.reply(self.path, dict(self.headers.items()), raw))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            self._answer(standin.read(parts.path, dict(self.headers.items()), parts.query))

        def _answer(self, answer: Answer) -> None:
            if answer.delay:
                time.sleep(answer.delay)
            if isinstance(answer.body, dict):
                payload, kind = json.dumps(answer.body).encode(), "application/json"
            else:
                payload, kind = answer.body.encode(), "text/plain"
            self.send_response(answer.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def serving(
    standin: SlackStandin, server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer
) -> Iterator[SlackStandin]:
    """Serve a stand-in on a free loopback port for the duration of the block."""
    server = server_class(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def slack_standin() -> Iterator[SlackStandin]:
    """Run the stand-in on a free port for the duration of the block."""
    with serving(SlackStandin()) as standin:
        yield standin
