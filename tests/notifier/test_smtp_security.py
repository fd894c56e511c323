"""Email over STARTTLS and SSL with login, against a real TLS-enabled SMTP server."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from services.notifier.channels import PermanentError
from services.notifier.channels.email import EmailChannel
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.notifier.alerts import alert
from tests.support.smtp import smtp_server

LOGIN = ("cxloop", "s3cret-password")


@pytest.fixture
def server_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server certificate for 127.0.0.1 from a throwaway CA that this process trusts."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def base(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(
        data_dir=tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_username=LOGIN[0],
        smtp_password=Secret(LOGIN[1]),
        smtp_timeout_s=5.0,
    )


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("ssl", True)])
def test_email_is_sent_over_tls_with_login(
    base: Settings, server_tls: ssl.SSLContext, security: str, implicit: bool
) -> None:
    with smtp_server(tls=server_tls, implicit_tls=implicit, credentials=LOGIN) as server:
        settings = base.with_(smtp_port=server.port, smtp_security=security)
        EmailChannel(settings).send(alert(), "lead@example.com")
    assert server.logins == [LOGIN[0]]
    assert len(server.messages) == 1


def test_wrong_password_is_permanent(base: Settings, server_tls: ssl.SSLContext) -> None:
    with smtp_server(tls=server_tls, credentials=LOGIN) as server:
        settings = base.with_(
            smtp_port=server.port, smtp_security="starttls", smtp_password=Secret("wrong")
        )
        with pytest.raises(PermanentError, match="535"):
            EmailChannel(settings).send(alert(), "lead@example.com")
    assert server.messages == []


def test_untrusted_server_certificate_is_permanent(base: Settings, tmp_path: Path) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with smtp_server(tls=context, credentials=LOGIN) as server:
        settings = base.with_(smtp_port=server.port, smtp_security="starttls")
        with pytest.raises(PermanentError, match="SSLCertVerificationError"):
            EmailChannel(settings).send(alert(), "lead@example.com")


def test_login_without_tls_is_refused_before_connecting(base: Settings) -> None:
    with smtp_server() as server:
        settings = base.with_(smtp_port=server.port, smtp_security="none")
        with pytest.raises(PermanentError, match="without TLS"):
            EmailChannel(settings).send(alert(), "lead@example.com")
    assert server.messages == []
