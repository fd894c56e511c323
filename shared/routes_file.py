"""What other services may read from the routing file without the router's code: touchpoint names.

The router validates the whole file and owns routing; the desk only needs to know which
touchpoints a person may move a case to, so it can answer a wrong one with a 422 at once.
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

from shared import yaml_load
from shared.reload import ReloadOnChange

log = logging.getLogger(__name__)
DEFAULT_TOUCHPOINT = "general"  # the router's default when the file names none


class RoutesFileError(ValueError):
    """The routing file cannot be read for its touchpoints; the message names the file."""


def parse_touchpoint_names(text: str, *, source: str = "<routes>") -> tuple[str, ...]:
    """Return the declared touchpoints of routing YAML, then its default touchpoint."""
    try:
        document = yaml_load.safe_load(text)
    except yaml.YAMLError as exc:
        raise RoutesFileError(f"{source}: invalid YAML: {exc}") from None
    declared = document.get("touchpoints") if isinstance(document, dict) else None
    if not isinstance(declared, dict) or not declared:
        raise RoutesFileError(f"{source}: touchpoints: must be a mapping of touchpoint names")
    default = str(document.get("default_touchpoint") or DEFAULT_TOUCHPOINT)
    return tuple(dict.fromkeys([*(str(name) for name in declared), default]))


_names = ReloadOnChange(
    lambda path: parse_touchpoint_names(path.read_text(encoding="utf-8"), source=str(path))
)


def touchpoint_names(path: Path) -> tuple[str, ...]:
    """Return a routing file's touchpoints, re-read when it changes; a broken edit keeps the last.

    The same rule as the router's reload: while someone is halfway through editing the file,
    both keep working with the last good version.
    """
    try:
        return _names(path)
    except (OSError, RoutesFileError) as exc:
        last = _names.last_good(path)
        if last is None:
            raise RoutesFileError(f"{path}: {exc}") from exc
        log.error(
            "routing file unusable; keeping the last good touchpoints", extra={"error": str(exc)}
        )
        return last
