"""The follow-up question as an email through the notifier's SMTP server, text and HTML."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr

from services.notifier.channels.base import PermanentError
from services.notifier.channels.email import EmailChannel
from services.notifier.followups.base import FollowUpChannel, Question
from services.notifier.formatting import one_line, templates


class EmailFollowUp(FollowUpChannel):
    """Send the question as one email with answer buttons (links) and an opt-out link."""

    type = "email"

    def unavailable(self) -> str | None:
        return None if self.settings.smtp_host else "no SMTP host configured (CXLOOP_SMTP_HOST)"

    def send(self, question: Question) -> None:
        EmailChannel(self.settings).transmit(build_message(question))


def build_message(question: Question) -> EmailMessage:
    """Build the multipart email; every customer-given value is escaped in the HTML part."""
    try:
        recipient = Address(display_name=one_line(question.name)[:100], addr_spec=question.to)
    except (ValueError, IndexError) as exc:
        raise PermanentError(f"invalid email address {question.to!r}: {exc}") from None
    env = templates()
    message = EmailMessage()
    message["Subject"] = one_line(question.subject)
    message["From"] = question.sender
    message["To"] = recipient
    domain = parseaddr(question.sender)[1].rpartition("@")[2] or "cxloop.invalid"
    # The same Message-ID on every attempt: a client shows a resent question once.
    message["Message-ID"] = f"<cxloop-follow-up-{question.follow_up_id}@{domain}>"
    message["List-Unsubscribe"] = f"<{question.opt_out_url}>"
    message["X-Cxloop-Case"] = str(question.case_id)
    message.set_content(env.get_template("follow_up.txt").render(q=question))
    message.add_alternative(env.get_template("follow_up.html").render(q=question), subtype="html")
    return message
