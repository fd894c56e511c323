"""A real SMTP server (aiosmtpd) on a free local port that records what it receives."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

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
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port, **options)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
