"""The channel interface: send one alert to one target, and say whether a failure may pass."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from services.notifier.message import Alert
from shared.settings import Settings


class DeliveryError(Exception):
    """A send failed; the message is safe to store and log (never a URL or secret)."""


class TransientError(DeliveryError):
    """The send may succeed later (timeout, 5xx, 429, SMTP 4xx): retry with backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AmbiguousError(TransientError):
    """The request may have been accepted (read timeout after sending, reset after sending).

    A retry may duplicate the alert, so a channel that can look for what it sent does so first.
    """


class RateLimited(TransientError):
    """The receiver asked us to slow down (429): wait, but it is no failure and spends no budget."""


class PermanentError(DeliveryError):
    """Retrying cannot help (bad address, unknown channel, invalid token): record and stop."""


@dataclass(frozen=True)
class Rate:
    """A per-target send rate shared by every worker: `per_second` sustained, `burst` at once."""

    per_second: float
    burst: int


class Channel(ABC):
    """One way of reaching an owner; subclasses register under `type`."""

    type: ClassVar[str]
    rate: ClassVar[Rate | None] = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def unavailable(self, target: str) -> str | None:
        """Say why this target cannot be reached with the current config, or None if it can."""
        return None

    def endpoint(self, target: str) -> str:
        """Name the server behind a target, for the circuit breaker (one outage, one key)."""
        return f"{self.type}:{target}"

    def already_sent(self, alert: Alert, target: str, since: datetime) -> bool:
        """Say whether an earlier, ambiguous attempt did deliver this alert (False: cannot tell)."""
        return False

    @abstractmethod
    def send(self, alert: Alert, target: str) -> str | None:
        """Deliver the alert, raising TransientError or PermanentError on failure.

        Return where the channel keeps the message when it can be updated later, else None.
        """
