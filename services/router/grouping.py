"""Grouping, as Alertmanager does it: cases alike in their `group_by` labels become one incident.

A route with `group_by` pages its receiver once per group: the first case opens an incident,
the alert waits `group_wait` for its siblings, updates follow at most every `group_interval`
while new cases join, and an open incident is repeated after `repeat_interval`. Children
inherit all four settings from their parent unless they set their own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_WAIT_S = 30.0
DEFAULT_INTERVAL_S = 300.0
DEFAULT_REPEAT_S = 4 * 3600.0
MAX_DURATION_S = 30 * 24 * 3600.0
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"(?:(\d+)(ms|s|m|h|d|w))+")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> float:
    """Parse a Prometheus duration ("30s", "5m", "1h30m") into seconds; raise ValueError why."""
    if not isinstance(text, str) or not _DURATION.fullmatch(text.strip()):
        raise ValueError(f"bad duration {text!r}: use a number with a unit, e.g. 30s, 5m, 4h")
    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(text.strip()))


@dataclass(frozen=True)
class Grouping:
    """How a route groups its cases: the labels that make a group, and the three timers."""

    by: tuple[str, ...]
    wait_s: float = DEFAULT_WAIT_S
    interval_s: float = DEFAULT_INTERVAL_S
    repeat_s: float = DEFAULT_REPEAT_S

    def values(self, labels: Mapping[str, str], receiver: str) -> dict[str, str]:
        """The group's label values (a missing label is "", as in Alertmanager)."""
        given = dict(labels) | {"receiver": receiver}
        return {name: given.get(name, "") for name in self.by}

    def key(self, route_path: str, receiver: str, labels: Mapping[str, str]) -> str:
        """A fixed-length key naming the group: route, receiver and the group's label values."""
        named = [route_path, receiver, sorted(self.values(labels, receiver).items())]
        return hashlib.sha256(json.dumps(named, ensure_ascii=False).encode()).hexdigest()
