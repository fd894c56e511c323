"""Sentiment of a comment, with TextBlob at the core."""

from __future__ import annotations

from dataclasses import dataclass

from textblob import TextBlob


@dataclass(frozen=True)
class Sentiment:
    """What the comment says about how the customer feels, and why we think so."""

    polarity: float
    subjectivity: float
    language: str = "en"
    analysed: bool = True
    evidence: tuple[str, ...] = ()


def analyse(text: str) -> Sentiment:
    """Score a comment's polarity (-1..1) and subjectivity (0..1)."""
    if not text.strip():
        return Sentiment(0.0, 0.0, language="und", analysed=False)
    blob = TextBlob(text)
    return Sentiment(blob.sentiment.polarity, blob.sentiment.subjectivity)
