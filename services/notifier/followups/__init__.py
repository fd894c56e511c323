"""How a "did we fix it?" question reaches the customer: one class per channel, by type.

Email through SMTP is the channel cxloop ships. A survey tool's API would be one more file here
implementing `FollowUpChannel.send`, named in shared.followups.config.CHANNELS.
"""

from __future__ import annotations

from services.notifier.followups.base import FollowUpChannel, Question
from services.notifier.followups.email import EmailFollowUp
from shared.followups.config import CHANNELS
from shared.settings import Settings

FOLLOW_UP_CHANNELS: dict[str, type[FollowUpChannel]] = {c.type: c for c in (EmailFollowUp,)}
assert set(FOLLOW_UP_CHANNELS) == set(CHANNELS), "desk.yml may only name a shipped channel"

__all__ = ["FOLLOW_UP_CHANNELS", "FollowUpChannel", "Question", "channel_for"]


def channel_for(settings: Settings, channel: str) -> FollowUpChannel:
    """Return the channel that carries follow-ups of this type."""
    return FOLLOW_UP_CHANNELS[channel](settings)
