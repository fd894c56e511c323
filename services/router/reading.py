"""Read a comment as a person does: sentence by sentence, then decide for the whole response.

Each sentence gets the interpretable signals of `scoring.measure_sentence` (TextBlob at the
core, complaint and praise cues, VADER, emoji...). The response is then described by
length-invariant summaries: the signals averaged over sentences (weighted by length), the share
of negative and of positive sentences, the last sentence (where reviewers conclude), and the whole
text's VADER and TextBlob polarity. A logistic model without intercept (`data/sentiment.json`,
fitted on a mix of domains by bench/train_sentiment.py) turns them into the log-odds of
dissatisfaction. Because the summaries do not grow with length, one gripe in a long, happy review
weighs what it weighs for a reader: little.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

# A sentence ends at . ! or ? followed by space; text without any is one sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LETTER = re.compile(r"[A-Za-z]")
# A sentence read alone is a complaint when its log-odds pass this (P(dissatisfied) > 0.73):
# a clear gripe, not a sentence that merely leans ("Will order again" has the cue "again").
GRIPE_LOG_ODDS = 1.0
# A sentence VADER scores beyond +-0.05 counts as positive or negative (VADER's own convention).
VADER_NEUTRAL = 0.05
SIGNALS = (
    "textblob",
    "subjectivity",
    "complaint",
    "praise",
    "emoji",
    "vader",
    "emphatic_complaint",
    "question",
    "negations",
    "complaint_kind",
)
SUMMARIES = (
    *(f"mean_{name}" for name in SIGNALS),
    "sentence_vader_mean",
    "negative_sentences",
    "positive_sentences",
    "whole_vader",
    "whole_textblob_positive",
    "whole_textblob_negative",
    "last_sentence_vader",
)


def split_sentences(clean: str) -> list[str]:
    """Split normalised text into sentences that contain a letter (at least one sentence)."""
    parts = [s for s in _SENTENCE_END.split(clean) if _LETTER.search(s)]
    return parts or [clean]


@dataclass(frozen=True)
class SentenceReading:
    """One sentence, its signals and what it adds to the response's log-odds of dissatisfaction."""

    text: str
    signals: dict[str, float]
    evidence: tuple[str, ...]
    contribution: float  # share of the response's log-odds this sentence carries
    dissatisfied: bool  # read alone, would this sentence be a complaint?


@dataclass(frozen=True)
class Reading:
    """The whole comment: its summaries, the log-odds, and the sentences that carried it."""

    summaries: dict[str, float]
    log_odds: float
    sentences: tuple[SentenceReading, ...]
    whole: float  # what the whole-text polarities add to the log-odds

    def strongest(self, count: int = 3) -> list[tuple[str, float]]:
        """Return the summaries that moved the polarity most, in polarity units."""
        w = weights()
        terms = [
            (name.removeprefix("mean_"), -w[name] * v / 2) for name, v in self.summaries.items()
        ]
        terms = [t for t in terms if abs(t[1]) >= 0.01]
        return sorted(terms, key=lambda t: -abs(t[1]))[:count]

    @property
    def polarity(self) -> float:
        """P(satisfied) - P(dissatisfied), in -1..1: 0 when nothing signals either way."""
        return round(-math.tanh(self.log_odds / 2), 4) + 0.0  # never -0.0


@functools.cache
def weights() -> dict[str, float]:
    """Load the shipped weights once per process."""
    source = resources.files("services.router") / "data" / "sentiment.json"
    loaded: dict[str, float] = json.loads(source.read_text(encoding="utf-8"))["weights"]
    return loaded


def summarise(
    per_sentence: Sequence[dict[str, float]],
    lengths: Sequence[int],
    whole_vader: float,
    whole_textblob: float,
) -> dict[str, float]:
    """Return the response's length-invariant summaries of its sentences' signals."""
    total = sum(lengths) or 1
    count = len(per_sentence)
    vaders = [s["vader"] for s in per_sentence]
    summaries = {
        f"mean_{name}": sum(s[name] * n for s, n in zip(per_sentence, lengths, strict=True)) / total
        for name in SIGNALS
    }
    summaries |= {
        "sentence_vader_mean": sum(vaders) / count,
        "negative_sentences": sum(v < -VADER_NEUTRAL for v in vaders) / count,
        "positive_sentences": sum(v > VADER_NEUTRAL for v in vaders) / count,
        "whole_vader": whole_vader,
        "whole_textblob_positive": max(whole_textblob, 0.0),
        "whole_textblob_negative": min(whole_textblob, 0.0),
        "last_sentence_vader": vaders[-1],
    }
    return summaries


def _sentence_terms(
    w: dict[str, float], signals: dict[str, float], share: float, count: int, last: bool
) -> float:
    """What one sentence adds to the log-odds (the model is linear in its summaries)."""
    vader = signals["vader"]
    term = share * sum(w[f"mean_{name}"] * signals[name] for name in SIGNALS)
    term += (
        w["sentence_vader_mean"] * vader
        + w["negative_sentences"] * (vader < -VADER_NEUTRAL)
        + w["positive_sentences"] * (vader > VADER_NEUTRAL)
    ) / count
    return term + (w["last_sentence_vader"] * vader if last else 0.0)


def _textblob_term(w: dict[str, float], polarity: float) -> float:
    """The whole text's TextBlob polarity in the log-odds: one slope for praise, one for blame.

    TextBlob's negative readings are weaker evidence than its positive ones: it reads "small",
    "old" or "hard" as negative, and satisfied reviewers use them. One slope for both let such
    words in a long happy review pull it towards a case (leave-one-domain-out +0.006 on the mean,
    no domain lower; docs/quality.md).
    """
    if polarity >= 0:
        return w["whole_textblob_positive"] * polarity
    return w["whole_textblob_negative"] * polarity


# VADER's normalisation of a sum of word valences into -1..1: x / sqrt(x^2 + alpha).
_VADER_ALPHA = 15.0
_VADER_CLIP = 0.9999


def combined_vader(compounds: Sequence[float]) -> float:
    """VADER's compound for several sentences at once, from each one's compound.

    Each compound is mapped back to its sum of valences, the sums are added and normalised the
    way VADER does for a whole text (its emphasis from punctuation aside).
    """
    if len(compounds) == 1:
        return compounds[0]
    total = 0.0
    for c in compounds:
        c = max(-_VADER_CLIP, min(_VADER_CLIP, c))
        total += c * math.sqrt(_VADER_ALPHA / (1 - c * c))
    return total / math.sqrt(total * total + _VADER_ALPHA)


def read(
    sentences: Sequence[str],
    measure: Callable[[str], tuple[dict[str, float], list[str]]],
) -> Reading:
    """Score each sentence with `measure`, summarise, and split the log-odds by sentence.

    `measure` gives a sentence's signals, among them "vader" and "textblob_raw"; the whole text's
    polarities are combined from them, so no scorer reads the text twice.
    """
    w = weights()
    measured = [measure(s) for s in sentences]
    signals = [m[0] for m in measured]
    lengths = [len(s) for s in sentences]
    total, count = sum(lengths) or 1, len(sentences)
    whole_vader = combined_vader([s["vader"] for s in signals])
    whole_textblob = sum(s["textblob_raw"] * n for s, n in zip(signals, lengths, strict=True))
    summaries = summarise(signals, lengths, whole_vader, whole_textblob / total)
    log_odds = sum(w[name] * value for name, value in summaries.items())
    whole = w["whole_vader"] * whole_vader + _textblob_term(w, whole_textblob / total)
    readings = []
    for i, (text, (found, evidence)) in enumerate(zip(sentences, measured, strict=True)):
        alone = _sentence_terms(w, found, 1.0, 1, True)
        alone += w["whole_vader"] * found["vader"] + _textblob_term(w, found["textblob_raw"])
        readings.append(
            SentenceReading(
                text,
                found,
                tuple(evidence),
                _sentence_terms(w, found, lengths[i] / total, count, i == count - 1),
                alone > GRIPE_LOG_ODDS,
            )
        )
    return Reading(summaries, log_odds, tuple(readings), whole)
