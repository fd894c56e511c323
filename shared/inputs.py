"""Limits every HTTP boundary applies to untrusted input before it reaches the database.

Each limit turns what used to be a 500 from deep inside a driver into a 4xx naming the field:
text PostgreSQL cannot store (NUL) or UTF-8 cannot encode (lone surrogates), JSON nested deeper
than any real payload, ids beyond the integer id columns, dates at the ends of the calendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from marshmallow import ValidationError

ID_MAX = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL
MAX_DEPTH = 64  # nesting of JSON objects and arrays; real payloads stay under ten
FIRST_DAY = date(1900, 1, 1)  # dates outside this range in filters cannot match anything, and
LAST_DAY = date(9998, 12, 31)  # a day's arithmetic at the calendar's ends would overflow
UNSTORABLE = "must not contain NUL characters or lone surrogates"


def unstorable(text: str) -> bool:
    """Say whether text holds what PostgreSQL or UTF-8 cannot store (NUL, lone surrogates)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a JSON "\ud800" escape
        return True
    return False


def storable(text: str) -> None:
    """A marshmallow validator: refuse text the database cannot store or compare (422)."""
    if unstorable(text):
        raise ValidationError(UNSTORABLE)


def unstorable_paths(value: Any) -> Iterator[str]:
    """Yield the dotted paths of strings (or keys) in a JSON value that cannot be stored."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:  # iterative: a deep value must not exhaust the interpreter's stack
        item, path = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                yield path or "_schema"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and unstorable(key):
                    yield path or "_schema"
                else:
                    stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{path}.{i}" if path else str(i)) for i, child in enumerate(item))


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Say whether a parsed JSON value nests objects and arrays more than `limit` levels."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def in_id_range(value: Any) -> bool:
    """Say whether value is an int (not a bool) that an id column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= ID_MAX
