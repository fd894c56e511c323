"""A real SMTP server (aiosmtpd) on a free local port that records what it receives."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    """One accepted message: envelope and parsed email."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SMTPRecorder:
    """aiosmtpd handler: records accepted messages; can refuse the next N with a given reply."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    _failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Seconds spent on each message before answering, blocking the server's event loop: other
    # clients get no reply meanwhile, as from an overloaded server that is still alive.
    delay: float = 0.0
    # What QUIT is answered, if not "221 Bye" (e.g. "421 4.3.2 Shutting down").
    quit_reply: str | None = None

    def fail_next(self, count: int, reply: str) -> None:
        """Answer the next `count` DATA commands with `reply` (e.g. '451 4.3.0 Try again later')."""
        with self._lock:
            self._failures.extend([reply] * count)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay > 0:
            time.sleep(self.delay)
        with self._lock:
            if self._failures:
                return self._failures.pop(0)
            assert isinstance(envelope.content, bytes)
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self.quit_reply or "221 Bye"


class ClosingController(Controller):
    """An aiosmtpd Controller that, when stopped, stops listening and drops its open connections
    before its tasks are cancelled, as a server going down does. Plain aiosmtpd cancels a
    connection accepted in its last moments before the connection's task runs, leaving an
    unclosed transport to the garbage collector, which warns (an error in this suite)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._accepted: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def factory(self) -> SMTP:
        connection = super().factory()
        self._accepted.add(connection)
        return connection

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(self._go_down(), self.loop).result(timeout=30)
        super().stop(no_assert)

    async def _go_down(self) -> None:
        # Stop accepting without closing the server: asyncio cannot finish an accept that was
        # under way when its server closed, and leaves that socket to the garbage collector.
        if isinstance(self.server, asyncio.Server):
            for sock in self.server.sockets:
                self.loop.remove_reader(sock.fileno())
        opening, rounds = True, 0
        while opening and rounds < 100:  # until each accepted connection is made, then dropped
            opening, rounds = False, rounds + 1
            for connection in list(self._accepted):
                if connection.transport is not None:
                    connection.transport.close()
                    self._accepted.discard(connection)
                elif connection.session is None:  # accepted, connection_made still to run
                    opening = True
            await asyncio.sleep(0)  # connection_made and connection_lost run in between


def _authenticator(recorder: SMTPRecorder, username: str, password: str) -> object:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            username.encode(),
            password.encode(),
        )
        if ok:
            recorder.logins.append(username)
        return AuthResult(success=ok, handled=ok)

    return authenticate


@contextmanager
def smtp_server(
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    credentials: tuple[str, str] | None = None,
) -> Iterator[SMTPRecorder]:
    """Run an SMTP server on a free port: plain, STARTTLS (tls) or SSL (tls + implicit_tls).

    With credentials, AUTH is offered only over TLS, as on real servers, and checked.
    """
    recorder = SMTPRecorder(port=free_port())
    options: dict[str, object] = {}
    if tls is not None and implicit_tls:
        # aiosmtpd cannot see TLS it did not negotiate itself; the socket is encrypted anyway.
        options.update(ssl_context=tls, auth_require_tls=False)
    elif tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    if credentials is not None:
        options["authenticator"] = _authenticator(recorder, *credentials)
        # (Under implicit TLS aiosmtpd warns that required AUTH lacks TLS; it does not.)
        options["auth_required"] = not implicit_tls
    controller = ClosingController(recorder, hostname=recorder.host, port=recorder.port, **options)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
