"""`cxloop follow-up opt-out|status`: for a customer who asks by phone or letter not to be asked.

The answer page's opt-out link does the same; this is for the requests that come another way.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import click

from shared.db import transaction
from shared.followups import policy
from shared.followups import service as followups
from shared.runtime import runtime
from shared.settings import Settings

_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _keys(email: str | None, respondent: str | None) -> tuple[str, ...]:
    """The customer's keys from the options; click.BadParameter when they are not usable."""
    if email is None and respondent is None:
        raise click.UsageError("give --email, --respondent, or both")
    if email is not None and (len(email) > 320 or not _ADDRESS.fullmatch(email.strip())):
        raise click.BadParameter(f"{email!r} is not an email address", param_hint="--email")
    source, _, respondent_id = (respondent or "").partition(":")
    if respondent is not None and not (source.strip() and respondent_id.strip()):
        raise click.BadParameter(
            f"{respondent!r} is not SOURCE:ID (the survey source's name, a colon, the respondent "
            "id), e.g. typeform:abc123",
            param_hint="--respondent",
        )
    return policy.customer_keys(email, source.strip(), respondent_id or None)


@click.group("follow-up")
def follow_up() -> None:
    """Did we fix it? questions: a customer's opt-out, and when they were last asked."""


_EMAIL = click.option("--email", default=None, help="The customer's email address.")
_RESPONDENT = click.option(
    "--respondent", default=None, help="SOURCE:ID, the customer's respondent id at a source."
)


@follow_up.command("opt-out")
@_EMAIL
@_RESPONDENT
def opt_out(email: str | None, respondent: str | None) -> None:
    """Never ask this customer "did we fix it?" again."""
    keys = _keys(email, respondent)
    with transaction(runtime(Settings.from_env()).sessions) as session:
        changed = followups.opt_out_keys(session, keys=keys, now=datetime.now(UTC))
    click.echo(f"{'opted out' if changed else 'already opted out'}: {', '.join(keys)}")


@follow_up.command("status")
@_EMAIL
@_RESPONDENT
def status(email: str | None, respondent: str | None) -> None:
    """Show whether the customer opted out and when they were last asked, as JSON lines."""
    keys = _keys(email, respondent)
    with transaction(runtime(Settings.from_env()).sessions) as session:
        known = {c.key: c for c in followups.customers(session, keys=keys)}
        for key in keys:
            c = known.get(key)
            click.echo(json.dumps({
                "key": key,
                "opted_out_at": c.opted_out_at.isoformat() if c and c.opted_out_at else None,
                "last_asked_at": c.last_asked_at.isoformat() if c and c.last_asked_at else None,
            }))  # fmt: skip
