"""Comment text as every reader of it takes it: normalised, tokenised, stemmed.

Sentiment (`scoring`), touchpoints and word vectors read the same text the same way.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import snowballstemmer

from services.router import lexicon

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<!\w)@\w+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HASHTAG = re.compile(r"#(\w+)")
_TOKEN = re.compile(r"[a-z]+|\d+|[!?]")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Snowball stem of a lower-case word (cached: vocabularies repeat)."""
    return _STEMMER.stemWord(word)


_MISSPELT = re.compile(
    r"\b(?:" + "|".join(f"(?P<m{n}>{p})" for n, p in enumerate(lexicon.MISSPELLINGS)) + ")",
    re.IGNORECASE,
)
_SPELLED = dict(enumerate(lexicon.MISSPELLINGS.values()))


def normalise(text: str) -> str:
    """Unescape HTML, drop URLs and @mentions, split CamelCase hashtags into words, and put
    right the commonest misspellings of verdict words (`lexicon.MISSPELLINGS`)."""
    text = _MENTION.sub(" ", _URL.sub(" ", html.unescape(text)))
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    text = _MISSPELT.sub(lambda m: _SPELLED[int(m.lastgroup[1:])], text)  # type: ignore[index]
    return re.sub(r"\s+", " ", text).strip()


# Contractions typed without the apostrophe ("dont", "wont", "doesnt"), as much feedback is.
_BARE_NOT = re.compile(r"\b(do|does|did|is|was|are|were|have|has|had|would|could|should|wo|ca)nt\b")


def tokenise(text: str) -> list[str]:
    """Lower-case words, numbers, "!" and "?"; "n't", "'s" and "cannot" spelt out."""
    lowered = text.lower().replace("\u2019", "'").replace("cannot", "can not")
    lowered = _BARE_NOT.sub(r"\1 not", lowered.replace("n't", " not").replace("'s", " is"))
    return _TOKEN.findall(lowered)
