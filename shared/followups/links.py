"""Signed links in a follow-up email: one to answer, one to opt out.

A token names the follow-up and what the link does; it is signed with the desk's secret key and
timestamped, so the desk refuses a forged, damaged or expired one. An answer link works once:
the follow-up's status, not the token, says whether it was used.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import signed_tokens as tokens
from shared.signed_tokens import LinkError

SALT = "cxloop.follow-up"
ANSWER, OPT_OUT = "answer", "opt_out"


@dataclass(frozen=True)
class Link:
    """What a verified follow-up link asks for."""

    follow_up_id: int
    kind: str


def sign(secret: str, *, follow_up_id: int, kind: str) -> str:
    """Return the token of one follow-up's answer or opt-out link."""
    if kind not in (ANSWER, OPT_OUT):
        raise ValueError(f"no follow-up link kind {kind!r}")
    return tokens.dumps(secret, SALT, {"f": follow_up_id, "k": kind})


def read(secret: str, token: str, *, kind: str, max_age: float) -> Link:
    """Verify a token's signature, kind and age and return what it names."""
    data = tokens.loads(secret, SALT, token, max_age=max_age)
    if not (isinstance(data, dict) and isinstance(data.get("f"), int) and data.get("k") == kind):
        raise LinkError()
    return Link(follow_up_id=data["f"], kind=kind)
