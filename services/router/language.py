"""Which language a comment is written in, so no comment gets a silently wrong score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from textblob_fr import PatternAnalyzer as FrenchAnalyzer

_WORD = re.compile(r"[^\W\d_]+")
# Frequent English function words: enough of them settles the question without a model.
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "my",
        "your",
        "our",
        "i",
        "you",
        "we",
        "it",
        "is",
        "was",
        "were",
        "are",
        "be",
        "been",
        "this",
        "that",
        "not",
        "no",
        "have",
        "has",
        "had",
        "do",
        "did",
        "does",
        "can",
        "will",
        "would",
        "could",
        "should",
        "me",
        "us",
        "they",
        "them",
        "there",
        "what",
        "why",
        "how",
        "when",
        "where",
        "who",
        "just",
        "so",
        "very",
        "get",
        "got",
        "from",
        "by",
        "as",
        "if",
        "all",
        "any",
        "about",
        "still",
    ]
)
# Languages customers of a typical business write in; a short list keeps detection fast and sure.
_CANDIDATES = (
    Language.ENGLISH,
    Language.FRENCH,
    Language.GERMAN,
    Language.SPANISH,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DUTCH,
    Language.SWEDISH,
    Language.DANISH,
    Language.BOKMAL,
    Language.FINNISH,
    Language.POLISH,
    Language.CZECH,
    Language.TURKISH,
    Language.RUSSIAN,
    Language.UKRAINIAN,
    Language.GREEK,
    Language.ARABIC,
    Language.HEBREW,
    Language.HINDI,
    Language.CHINESE,
    Language.JAPANESE,
    Language.KOREAN,
    Language.VIETNAMESE,
    Language.INDONESIAN,
)
_MIN_LETTERS = 12
_MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Detection:
    """A detected language: ISO 639-1 code ("und" when the text is too short to tell) and why."""

    code: str
    name: str
    confidence: float
    evidence: str


@cache
def _detector() -> LanguageDetector:
    """Build the lingua detector once per process, on first use (its profiles ship in the wheel)."""
    return LanguageDetectorBuilder.from_languages(*_CANDIDATES).build()


def detect(text: str) -> Detection:
    """Detect the language of an already normalised comment (no URLs or @mentions)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if sum(len(w) for w in words) < _MIN_LETTERS:
        return Detection("und", "undetermined", 0.0, "language: too little text to tell")
    english = sum(w in _ENGLISH for w in words)
    if english >= 2 and english / len(words) >= 0.2:
        share = english / len(words)
        return Detection("en", "English", share, f"language: English ({share:.0%} function words)")
    best = _detector().compute_language_confidence_values(text)[0]
    name = best.language.name.capitalize()
    if best.value < _MIN_CONFIDENCE:
        return Detection("und", "undetermined", best.value, f"language: unsure (maybe {name})")
    code = best.language.iso_code_639_1.name.lower()
    return Detection(code, name, best.value, f"language: {name} ({best.value:.0%} confident)")


@cache
def _french() -> FrenchAnalyzer:
    return FrenchAnalyzer()


def french_sentiment(text: str) -> tuple[float, float]:
    """Return (polarity, subjectivity) of a French comment from textblob-fr's lexicon."""
    polarity, subjectivity = _french().analyze(text)
    return polarity, subjectivity
