"""Email over SMTP (plain, STARTTLS or SSL), multipart text and HTML."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr

from services.notifier.channels.base import (
    AmbiguousError,
    Channel,
    PermanentError,
    Rate,
    TransientError,
)
from services.notifier.formatting import EmailContent, render_email
from services.notifier.message import Alert
from shared.settings import Settings

SECURITY_MODES = ("none", "starttls", "ssl")


class EmailChannel(Channel):
    """Send an alert as one email to the target address."""

    type = "email"
    rate = Rate(per_second=2.0, burst=10)

    def unavailable(self, target: str) -> str | None:
        if not self.settings.smtp_host:
            return "no SMTP host configured (CXLOOP_SMTP_HOST)"
        return None

    def send(self, alert: Alert, target: str) -> None:
        message = build_message(
            alert, sender=self.settings.smtp_from, to=target, deployment=self.settings.public_url
        )
        self.transmit(message)

    def transmit(self, message: EmailMessage) -> None:
        """Hand one built email (an alert, a digest, a follow-up) to the SMTP server, classifying
        its failures like `send`."""
        if plain_login(self.settings):
            raise PermanentError(
                "refusing an SMTP login without TLS (set CXLOOP_SMTP_SECURITY, or "
                "CXLOOP_SMTP_ALLOW_PLAIN_LOGIN=1 for a trusted link)"
            )
        try:
            smtp = self._connect()
            try:
                if self.settings.smtp_username:
                    smtp.login(self.settings.smtp_username, str(self.settings.smtp_password))
                try:
                    smtp.send_message(message)
                except (smtplib.SMTPServerDisconnected, TimeoutError, ConnectionError) as exc:
                    # Lost mid-transaction: the server may have queued it after the final dot.
                    raise AmbiguousError(f"SMTP lost while sending: {type(exc).__name__}") from None
            finally:
                _quit(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(min(codes), f"recipient refused: {codes}") from None
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            detail = (error.decode(errors="replace") if isinstance(error, bytes) else error)[:200]
            raise _by_code(exc.smtp_code, f"SMTP {exc.smtp_code}: {detail}") from None
        except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as exc:
            raise PermanentError(f"SMTP security failed: {type(exc).__name__}: {exc}") from None
        except AmbiguousError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP unreachable: {type(exc).__name__}: {exc}") from None

    def endpoint(self, target: str) -> str:
        """Every email goes through the one configured SMTP server."""
        return f"email:{self.settings.smtp_host}:{self.settings.smtp_port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security not in SECURITY_MODES:
            raise PermanentError(f"smtp_security must be one of {SECURITY_MODES}")
        if s.smtp_security == "ssl":
            return smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_s,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
        if s.smtp_security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye, and close the connection whatever the answer. A message is the server's once
    it has accepted the final dot: a QUIT refused or unanswered after that must not make the
    alert count as failed, and be sent again."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def plain_login(settings: Settings) -> bool:
    """Whether the settings would send the SMTP password unencrypted without being allowed to."""
    return (
        bool(settings.smtp_username)
        and settings.smtp_security == "none"
        and not settings.smtp_allow_plain_login
    )


def message_id(delivery_id: int, *, deployment: str, domain: str) -> str:
    """Return the Message-ID of a delivery: the same on every resend, unique per deployment.

    Clients and archives that deduplicate by Message-ID then show a resent alert once.
    """
    tag = hashlib.sha256(deployment.encode()).hexdigest()[:12]
    return f"<cxloop-delivery-{delivery_id}.{tag}@{domain}>"


def build_message(alert: Alert, *, sender: str, to: str, deployment: str) -> EmailMessage:
    """Build the multipart/alternative email for one alert."""
    domain = sender_domain(sender)
    message = multipart(
        render_email(alert), sender=sender, to=to,
        message_id=message_id(alert.delivery_id, deployment=deployment, domain=domain),
    )  # fmt: skip
    message["X-Cxloop-Case"] = str(alert.case_id)
    return message


def sender_domain(sender: str) -> str:
    """The domain Message-IDs are made in: the sender's, or a reserved one."""
    return parseaddr(sender)[1].rpartition("@")[2] or "cxloop.invalid"


def multipart(content: EmailContent, *, sender: str, to: str, message_id: str) -> EmailMessage:
    """Build a text and HTML email; a bad recipient address is a permanent error."""
    try:
        recipient = Address(addr_spec=to)
    except (ValueError, IndexError) as exc:
        raise PermanentError(f"invalid email address {to!r}: {exc}") from None
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = recipient
    message["Message-ID"] = message_id
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


def _by_code(code: int, message: str) -> TransientError | PermanentError:
    return PermanentError(message) if 500 <= code < 600 else TransientError(message)
