"""Which touchpoint(s) a comment is about, from each touchpoint's name, description and keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class TouchpointSpec:
    """A touchpoint as configured: its name, one-line description and optional extra keywords."""

    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class TouchpointMatch:
    """A detected touchpoint with its strength and the words that matched."""

    name: str
    score: float
    evidence: tuple[str, ...] = ()


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) > 2}


class TouchpointDetector:
    """Detects touchpoints in free text; built once per routing config, reused for every comment."""

    def __init__(self, specs: list[TouchpointSpec]) -> None:
        self.specs = specs
        self._terms = {
            s.name: _terms(" ".join((s.name.replace("_", " "), s.description, *s.keywords)))
            for s in specs
        }

    def detect(self, text: str) -> list[TouchpointMatch]:
        """Return matching touchpoints, best first; empty when nothing matches."""
        words = _terms(text)
        matches = []
        for spec in self.specs:
            hits = sorted(words & self._terms[spec.name])
            if hits:
                matches.append(TouchpointMatch(spec.name, float(len(hits)), tuple(hits)))
        return sorted(matches, key=lambda m: -m.score)
