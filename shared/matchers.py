"""Label matchers in Alertmanager's syntax, shared by the routing tree and silences."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MATCHER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*")


class Op(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


@dataclass(frozen=True)
class Matcher:
    """One label matcher; a missing label matches as the empty string, as in Alertmanager."""

    name: str
    op: Op
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether the labels satisfy this matcher (regexes are anchored)."""
        actual = labels.get(self.name, "")
        if self.op is Op.EQ:
            return actual == self.value
        if self.op is Op.NE:
            return actual != self.value
        assert self.pattern is not None
        found = self.pattern.fullmatch(actual) is not None
        return found if self.op is Op.RE else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


def parse_matcher(text: str) -> Matcher:
    """Parse `label = "value"` (also !=, =~, !~; quotes optional); raise ValueError saying why."""
    found = _MATCHER.fullmatch(text)
    if found is None:
        raise ValueError(f'bad matcher {text!r}: expected label = "value" (or !=, =~, !~)')
    name, op, raw = found.groups()
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(
                f"bad matcher {text!r}: unterminated or invalid quoted value"
            ) from None
        if not isinstance(value, str):
            raise ValueError(f"bad matcher {text!r}: unterminated or invalid quoted value")
    elif '"' in raw or raw[:1] in ("=", "~", "!"):
        raise ValueError(f'bad matcher {text!r}: expected label = "value" (or !=, =~, !~)')
    else:
        value = raw
    pattern = None
    if op in (Op.RE, Op.NRE):
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regex {value!r} in matcher {text!r}: {exc}") from None
    return Matcher(name, Op(op), value, pattern)
