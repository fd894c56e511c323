"""Start-up checks that keep a production deployment from running on guessable secrets.

The embedded default (no DATABASE_URL, no REDIS_URL) generates its own random secrets into 0600
files, so it needs none of this. Anything else was configured by a person, and the shipped
examples carry placeholders such as `change-me`: a session key anyone can read in the repository
lets anyone forge an admin's session cookie, so such values stop the start with the variable's
name instead of being used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MIN_KEY_BYTES = 32  # CXLOOP_SECRET_KEY and API keys: we ask operators to generate them
MIN_WEBHOOK_SECRET_BYTES = 16  # vendors generate these; some issue shorter keys than ours
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"

_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|replace[-_ ]?me|your[-_]|placeholder|example|xxxx|<.*>|\.\.\.", re.I
)
_WORDS = {"secret", "password", "passwd", "key", "token", "test", "dev", "admin", "default"}


class UnsafeSettings(RuntimeError):
    """A secret is a placeholder or too short where production settings are in use."""


@dataclass(frozen=True)
class SecretValue:
    """A secret to check: the variable it came from, its value and the length it needs."""

    variable: str
    value: str
    min_bytes: int = MIN_KEY_BYTES


def is_placeholder(value: str) -> bool:
    """Return whether a value looks like a documentation placeholder rather than a secret."""
    text = value.strip()
    if _PLACEHOLDER.search(text) or text.lower() in _WORDS:
        return True
    return len(set(text)) <= 2  # "aaaaaaaa...", "0000..."


def secret_problem(secret: SecretValue) -> str | None:
    """Say what is wrong with one secret, naming its variable, or None if it is acceptable."""
    text = secret.value.strip()
    if is_placeholder(text):
        return f"{secret.variable} holds a placeholder; generate a secret, e.g. `{GENERATE}`"
    size = len(text.encode("utf-8", "surrogatepass"))
    if size < secret.min_bytes:
        return (
            f"{secret.variable} is {size} bytes long; use at least {secret.min_bytes} "
            f"(e.g. `{GENERATE}`)"
        )
    return None


def require_safe(secrets: Iterable[SecretValue]) -> None:
    """Raise UnsafeSettings listing every placeholder or short secret."""
    problems = [p for p in map(secret_problem, secrets) if p is not None]
    if problems:
        raise UnsafeSettings(
            "refusing to start with unsafe secrets (DATABASE_URL or REDIS_URL is set, so this "
            "is not the embedded default):\n- " + "\n- ".join(problems)
        )
