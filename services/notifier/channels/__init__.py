"""The registry of channels by type, and the fallback to the outbox when one isn't configured."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifier.channels.base import (
    AmbiguousError,
    Channel,
    DeliveryError,
    PermanentError,
    Rate,
    RateLimited,
    TransientError,
)
from services.notifier.channels.email import EmailChannel
from services.notifier.channels.outbox import OutboxChannel
from services.notifier.channels.slack import SlackChannel
from shared.settings import Settings

CHANNELS: dict[str, type[Channel]] = {
    c.type: c for c in (EmailChannel, SlackChannel, OutboxChannel)
}

__all__ = [
    "CHANNELS",
    "AmbiguousError",
    "Channel",
    "DeliveryError",
    "PermanentError",
    "Rate",
    "RateLimited",
    "Route",
    "TransientError",
    "resolve",
]


@dataclass(frozen=True)
class Route:
    """The channel that will really carry a delivery, and why it is the outbox if it is."""

    channel: Channel
    target: str
    fallback: str | None = None


def resolve(settings: Settings, channel: str, target: str) -> Route:
    """Pick the configured channel for a delivery, or the outbox when it cannot be used."""
    kind = CHANNELS.get(channel)
    if kind is None:
        raise PermanentError(f"unknown channel {channel!r}; known: {sorted(CHANNELS)}")
    chosen = kind(settings)
    reason = chosen.unavailable(target)
    if reason is None:
        return Route(chosen, target)
    return Route(OutboxChannel(settings), target, fallback=reason)
