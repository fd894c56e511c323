"""The `follow_up` section of desk.yml, validated on load (file, key and reason in the error)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from shared import yaml_load
from shared.sla import DeskConfigError, known, mapping, parse_duration

# The channels the notifier ships (services/notifier/followups registers one class each).
CHANNELS = ("email",)
SCALES = {"0-10": (0, 10), "1-5": (1, 5)}
# The lowest answer that counts as satisfied, unless the file says otherwise: on 0-10 anything
# above a detractor's 0-6, on 1-5 a 4 or a 5.
SATISFIED_FROM = {"0-10": 7, "1-5": 4}
QUESTION = "We worked on the problem you told us about. Did we fix it?"
KEYS = {"enabled", "channel", "delay", "question", "scale", "satisfied_from",
        "min_days_between", "from", "link_expiry", "opt_out_expiry", "subject"}  # fmt: skip
TEXT_MAX = 500


@dataclass(frozen=True)
class FollowUpConfig:
    """When and how customers are asked whether their problem was fixed."""

    enabled: bool = False
    channel: str = "email"
    delay: timedelta = timedelta(days=1)
    question: str = QUESTION
    subject: str = "Did we fix it?"
    scale: str = "0-10"
    satisfied_from: int = SATISFIED_FROM["0-10"]
    min_days_between: int = 30
    sender: str | None = None  # None: the notifier's CXLOOP_SMTP_FROM
    link_expiry: timedelta = timedelta(days=14)
    opt_out_expiry: timedelta = timedelta(days=365)

    @property
    def choices(self) -> tuple[int, ...]:
        """The answers the page offers, lowest first."""
        low, high = SCALES[self.scale]
        return tuple(range(low, high + 1))


def _line(value: Any, where: str) -> str:
    """One line of text: it goes into a mail header or a page heading."""
    if not isinstance(value, str) or not value.strip():
        raise DeskConfigError(f"{where}: must be a non-empty text")
    if len(value) > TEXT_MAX or "\n" in value.strip() or "\r" in value:
        raise DeskConfigError(f"{where}: must be one line of at most {TEXT_MAX} characters")
    return value.strip()


def _whole(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise DeskConfigError(f"{where}: must be a whole number of at least {low}")
    return value


def parse_follow_up(data: Any) -> FollowUpConfig:
    """Validate desk.yml's `follow_up` section (absent: follow-ups are off)."""
    where = "follow_up"
    data = mapping(data, where)
    known(data, KEYS, where)
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        raise DeskConfigError(f"{where}.enabled: must be true or false")
    channel = data.get("channel", "email")
    if channel not in CHANNELS:
        raise DeskConfigError(f"{where}.channel: must be one of {', '.join(CHANNELS)}")
    scale = str(data.get("scale", "0-10"))
    if scale not in SCALES:
        raise DeskConfigError(f"{where}.scale: must be one of {', '.join(SCALES)}")
    low, high = SCALES[scale]
    satisfied = data.get("satisfied_from", SATISFIED_FROM[scale])
    if isinstance(satisfied, bool) or not isinstance(satisfied, int) or not low < satisfied <= high:
        raise DeskConfigError(
            f"{where}.satisfied_from: must be a whole number from {low + 1} to {high} "
            f"(the lowest answer on the {scale} scale that counts as satisfied)"
        )
    sender = data.get("from")
    if sender is not None and (not isinstance(sender, str) or "@" not in sender):
        raise DeskConfigError(f"{where}.from: must be an email address")
    config = FollowUpConfig(
        enabled=enabled,
        channel=channel,
        delay=parse_duration(data.get("delay", "1d"), f"{where}.delay"),
        question=_line(data.get("question", QUESTION), f"{where}.question"),
        subject=_line(data.get("subject", "Did we fix it?"), f"{where}.subject"),
        scale=scale,
        satisfied_from=satisfied,
        min_days_between=_whole(data.get("min_days_between", 30), f"{where}.min_days_between", 0),
        sender=sender,
        link_expiry=parse_duration(data.get("link_expiry", "14d"), f"{where}.link_expiry"),
        opt_out_expiry=parse_duration(
            data.get("opt_out_expiry", "365d"), f"{where}.opt_out_expiry"
        ),
    )
    for key in ("link_expiry", "opt_out_expiry"):
        if getattr(config, key) < timedelta(hours=1):
            raise DeskConfigError(f"{where}.{key}: must be at least 1h")
    return config


def load_follow_up(path: Path) -> FollowUpConfig:
    """Read only the follow-up section of a desk file (the notifier needs no more of it)."""
    try:
        data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeskConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DeskConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_follow_up(mapping(data, "desk").get("follow_up"))
    except DeskConfigError as exc:
        raise DeskConfigError(f"{path}: {exc}") from exc
