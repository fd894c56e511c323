"""Which language a comment is written in, so no comment gets a silently wrong score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_WORD = re.compile(r"[^\W\d_]+")
# Frequent English function words: enough different ones settle the question without a model.
# Words that are also common in Dutch, German or Romance languages ("was", "in", "we", "no") are
# left out, so "het eten was slecht en de service was ..." goes to the detector.
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "or",
        "but",
        "to",
        "of",
        "on",
        "at",
        "for",
        "with",
        "my",
        "your",
        "our",
        "i",
        "you",
        "it",
        "were",
        "are",
        "be",
        "been",
        "this",
        "that",
        "not",
        "have",
        "has",
        "did",
        "does",
        "can",
        "will",
        "would",
        "could",
        "should",
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
        "very",
        "get",
        "got",
        "from",
        "by",
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
# Under this confidence the detector is guessing: on the dev sets every comment it took for another
# language with less was English ("It's convenient.", "Good wifi TV stick", "Listen music and
# set timer"), and every one in another language had 0.83 or more.
_MIN_CONFIDENCE = 0.75


@dataclass(frozen=True)
class Detection:
    """A detected language: ISO 639-1 code ("und" when the text is too short to tell) and why."""

    code: str
    name: str
    confidence: float
    evidence: str


@cache
def _detector() -> LanguageDetector:
    """Build the lingua detector once per process, on first use (its profiles ship in the wheel).

    Low accuracy mode reads trigrams only: about 400 MB less per process than every n-gram model
    of 25 languages. Its answer is then confirmed against English by `_confirm`.
    """
    return LanguageDetectorBuilder.from_languages(*_CANDIDATES).with_low_accuracy_mode().build()


@cache
def _confirm(language: Language) -> LanguageDetector:
    """Return a full-accuracy detector choosing between English and one other language.

    Trigrams alone take about 0.5% of English comments for another language; the full models of
    just the two languages settle it, and only languages actually seen are ever loaded.
    """
    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, language).build()


def detect(text: str) -> Detection:
    """Detect the language of an already normalised comment (no URLs or @mentions)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if sum(len(w) for w in words) < _MIN_LETTERS:
        return Detection("und", "undetermined", 0.0, "language: too little text to tell")
    english = sum(w in _ENGLISH for w in words)
    if len(_ENGLISH.intersection(words)) >= 2 and english / len(words) >= 0.2:
        share = english / len(words)
        return Detection("en", "English", share, f"language: English ({share:.0%} function words)")
    best = _detector().compute_language_confidence_values(text)[0]
    if best.language is not Language.ENGLISH:
        best = _confirm(best.language).compute_language_confidence_values(text)[0]
    name = best.language.name.capitalize()
    if best.value < _MIN_CONFIDENCE:
        return Detection("und", "undetermined", best.value, f"language: unsure (maybe {name})")
    code = best.language.iso_code_639_1.name.lower()
    return Detection(code, name, best.value, f"language: {name} ({best.value:.0%} confident)")
