"""A real SMTP server (aiosmtpd) on a free local port that records what it receives."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


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
    _failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int, reply: str) -> None:
        """Answer the next `count` DATA commands with `reply` (e.g. '451 4.3.0 Try again later')."""
        with self._lock:
            self._failures.extend([reply] * count)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self._failures:
                return self._failures.pop(0)
            assert isinstance(envelope.content, bytes)
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[SMTPRecorder]:
    """Run an SMTP server on a free port for the duration of the block."""
    recorder = SMTPRecorder(port=free_port())
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
