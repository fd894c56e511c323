"""Signed, expiring tokens for links sent by email (owners' one-click actions, customers'
follow-up answers): one way to sign them and one error when a link is forged, damaged or old.

Each kind of link has its own salt, so a token of one kind never verifies as another.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

INVALID = "this link is not valid (damaged or not issued by cxloop)"


class LinkError(ValueError):
    """The link is forged, damaged or expired; `expired` tells which."""

    def __init__(self, message: str = INVALID, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def dumps(secret: str, salt: str, data: dict[str, Any]) -> str:
    """Sign `data` (plain JSON values) into a URL-safe token stamped with the time."""
    return URLSafeTimedSerializer(secret, salt=salt).dumps(data)


def loads(secret: str, salt: str, token: str, *, max_age: float) -> Any:
    """Return what a token signed with this secret and salt carries, if younger than `max_age`
    seconds; LinkError otherwise."""
    try:
        return URLSafeTimedSerializer(secret, salt=salt).loads(token, max_age=int(max_age))
    except SignatureExpired:
        raise LinkError("this link has expired", expired=True) from None
    except BadSignature:
        raise LinkError() from None
