"""A real local HTTP server standing in for Slack's incoming webhooks and chat.postMessage."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

POST_MESSAGE = "/api/chat.postMessage"


@dataclass(frozen=True)
class Post:
    """One request Slack received: the path, its headers and JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """A scripted reply: HTTP status, headers and body (a dict is sent as JSON)."""

    status: int
    body: str | dict[str, Any] = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class SlackStandin:
    """Records accepted posts; answers scripted replies first, then success like Slack does."""

    url: str = ""
    token: str = "xoxb-standin-token"
    posts: list[Post] = field(default_factory=list)
    requests: int = 0
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

    def reply(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        """Decide the answer to one request, recording it if it is accepted."""
        with self._lock:
            self.requests += 1
            if self._script:
                return self._script.pop(0)
            try:
                body = json.loads(raw)
            except ValueError:
                return Answer(400, "invalid_payload")
            if path == POST_MESSAGE:
                if headers.get("Authorization") != f"Bearer {self.token}":
                    return Answer(200, {"ok": False, "error": "invalid_auth"})
                self.posts.append(Post(path, headers, body))
                return Answer(200, {"ok": True, "channel": "C0STANDIN", "ts": f"{time.time():.6f}"})
            if path.startswith("/services/"):
                self.posts.append(Post(path, headers, body))
                return Answer(200, "ok")
            return Answer(404, "no_service")


def _handler(standin: SlackStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = standin.reply(self.path, dict(self.headers.items()), raw)
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
def slack_standin() -> Iterator[SlackStandin]:
    """Run the stand-in on a free port for the duration of the block."""
    standin = SlackStandin()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
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
