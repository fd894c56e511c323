"""Which touchpoint(s) a comment is about, from each touchpoint's name, description and keywords.

Two kinds of evidence add up: the comment's words that share a stem (or a shipped group of related
words) with the configured text, then, for the comment's other words, their similarity to the
configured words in static word vectors (zero-shot: no touchpoint labels are learnt). A word
that several descriptions share counts most for the one where it is what an item is about, and a
word of several groups brings only the group its description means.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from services.router.related import GROUPS
from services.router.scoring import vader
from services.router.text import normalise, stem
from services.router.vectors import word_vectors

_GROUPS = tuple(frozenset(stem(w) for w in group) for group in GROUPS)
_GROUPED = frozenset().union(*_GROUPS)

_WORD = re.compile(r"[a-z]+")
_ALIASES = (
    (re.compile(r"\bcheck[\s-]?ins?\b"), "checkin"),
    (re.compile(r"\bwi[\s-]?fi\b"), "wifi"),
    (re.compile(r"\be[\s-]mail"), "email"),
    (re.compile(r"\blog[\s-]?in\b"), "login"),
    (re.compile(r"\b(?:on[\s-]?board|in[\s-]?flight)\b"), "onboard"),
)
_GRAMMAR = "and or the a an of to in on at for with from by how after before their our your its"
_FILLER = "about into over under all any other etc via per when where what who which new"
# Particles of phrasal verbs ("check out", "drop off", "sign up"): alone they name nothing.
_PARTICLES = "out up off down back away around through"
# Words every kind of feedback uses; they tell nothing about the touchpoint.
_GENERIC = "time times experience experiences passenger passengers handling selection thing issue"
_FUNCTION = (
    "i me my we us you he she it they them is are was were be been being have has had do does did"
    " not no so but just can will would could should get got this that there here than then too"
    " very really im ive dont cant its"
)
# Verbs and adverbs of any complaint ("stop working", "feels like", "won't ... properly"): a team
# writing in its customers' voice uses them; they name no touchpoint.
_VAGUE = (
    "work works worked working like something anything everything properly feel feels felt stop"
    " stops stopped make makes made take takes took go goes going went come comes came seem seems"
    " seemed use used using want wants need needs try tried trying way lot also even still only"
    " well much many"
)
_STOP = frozenset(f"{_GRAMMAR} {_FILLER} {_PARTICLES} {_GENERIC} {_FUNCTION} {_VAGUE}".split())
DIRECT, PHRASE, RELATED = 1.0, 1.5, 0.5
# A comment word counts for the touchpoint whose configured word it is most similar to, when the
# cosine similarity reaches SIMILAR and beats every other touchpoint's by MARGIN (words such as
# "terrible" are a little similar to everything); it then adds its similarity times SIMILAR_WEIGHT.
SIMILAR, MARGIN, SIMILAR_WEIGHT = 0.55, 0.2, 0.5
# Words this common in English ("back", "as", "if"; about the 150 most frequent) are never
# matched by similarity: their vectors are close to many unrelated words.
COMMON = 5e-4
# A word whose VADER valence is this strong, and that is in no word group, says how the customer
# feels, not what about ("bad flight", "poor value"): in a description it only qualifies
# (MODIFIER), and no comment word is matched to it by similarity ("horrible" ~ "bad").
EVALUATIVE = 1.5
# Evidence in a clause whose VADER valence is below -CLAUSE_VALENCE counts COMPLAINT times, in
# one above +CLAUSE_VALENCE PRAISE times: the complaint, not the praise, names the touchpoint.
CLAUSE_VALENCE, COMPLAINT, PRAISE = 0.5, 2.0, 0.5
_CLAUSE = re.compile(
    r"[.!?;:()]+|,|\s-+\s|\b(?:but|though|although|however|whereas|except|yet)\b", re.IGNORECASE
)
_NEGATION = (
    "not no never nothing nobody none cannot without hardly isnt wasnt dont didnt doesnt cant"
    " wont arent werent couldnt"
)
_NEGATORS = frozenset(_NEGATION.split())
# A word that only qualifies another in one description ("flight" in "flight attendants") but is
# what another description is about ("cancelled flight") counts for the first at this fraction.
MODIFIER = 0.25
# Description items ("phone lines", "rebooking after a cancelled flight") end at punctuation and
# at grammar words; an item's last word is what it is about, the words before only qualify it.
_ITEM_BREAK = re.compile(r"[^\w\s]")
_ITEM_WORDS = frozenset(f"{_GRAMMAR} {_FILLER}".split())
# Hashtags written in one case ("#lostluggage") are split into words found in the vocabulary.
_HASHTAG = re.compile(r"#([A-Za-z]+)\b")
_LONGEST_WORD, _LONGEST_TAG = 20, 60


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


@functools.lru_cache(maxsize=4096)
def _split_tag(tag: str) -> str:
    """Split a run-together hashtag ("lostluggage") into the fewest vocabulary words, if it can."""
    vocabulary = word_vectors().index
    if tag in vocabulary or len(tag) > _LONGEST_TAG:
        return tag
    # best[i]: the fewest words that spell tag[:i], or None when no split reaches i.
    best: list[tuple[str, ...] | None] = [()] + [None] * len(tag)
    for end in range(2, len(tag) + 1):
        for start in range(max(0, end - _LONGEST_WORD), end - 1):
            before, word = best[start], tag[start:end]
            if before is not None and word in vocabulary:
                found = best[end]
                if found is None or len(before) + 1 < len(found):
                    best[end] = (*before, word)
    return " ".join(best[-1]) if best[-1] else tag


def _hashtag(match: re.Match[str]) -> str:
    """Replace a one-case hashtag by its words; CamelCase is left to `normalise`."""
    tag = match.group(1)
    if tag not in (tag.lower(), tag.upper()):
        return match.group(0)
    return " " + _split_tag(tag.lower()) + " "


def _evaluative(word: str) -> bool:
    """Tell whether a word only says how the customer feels (strong valence, in no word group)."""
    return abs(vader().lexicon.get(word, 0.0)) >= EVALUATIVE and stem(word) not in _GROUPED


def _clause_weight(clause: str) -> float:
    """Weigh a clause's evidence by its tone: complaints count more than praise."""
    words = _WORD.findall(normalise(clause).lower().replace("n't", " not"))
    valences, valence = vader().lexicon, 0.0
    for i, word in enumerate(words):
        value = valences.get(word, 0.0)
        if value and _NEGATORS.intersection(words[max(0, i - 3) : i]):
            value *= -0.74  # VADER's own damping of a negated word
        valence += value
    if valence < -CLAUSE_VALENCE:
        return COMPLAINT
    return PRAISE if valence > CLAUSE_VALENCE else 1.0


def _weighted_words(text: str) -> list[tuple[float, str, str]]:
    """Return (clause weight, word, stem) for each word and word pair, heaviest clauses first."""
    found = [
        (weight, word, term)
        for clause in _CLAUSE.split(text)
        if clause and not clause.isspace()
        for weight in (_clause_weight(clause),)
        for word, term in _words(clause)
    ]
    found.sort(key=lambda item: -item[0])
    return found


def _clean(text: str) -> str:
    """Normalise, lower-case and unify the spelling variants of `_ALIASES`."""
    text = normalise(text).lower()
    for pattern, alias in _ALIASES:
        text = pattern.sub(alias, text)
    return text


def _words(text: str) -> list[tuple[str, str]]:
    """Return (word as written, stem) pairs, then the same for each pair of neighbours."""
    text = _clean(_HASHTAG.sub(_hashtag, text))
    words = [(w, stem(w)) for w in _WORD.findall(text) if w not in _STOP and len(w) > 1]
    pairs = [(f"{a} {b}", f"{x} {y}") for (a, x), (b, y) in itertools.pairwise(words)]
    return words + pairs


def _heads(description: str) -> dict[str, bool]:
    """Map each stem of a description to whether it ends an item somewhere (else it qualifies)."""
    heads: dict[str, bool] = {}
    for part in _ITEM_BREAK.split(_clean(description)):
        item: list[str] = []
        # A grammar word ends an item; the "and" appended ends the part's last one.
        for word in [*_WORD.findall(part), "and"]:
            if word not in _ITEM_WORDS:
                item.append(stem(word))
                continue
            for i, term in enumerate(item):
                heads[term] = heads.get(term, False) or i == len(item) - 1
            item = []
    return heads


def _related(term: str, context: set[str]) -> set[str]:
    """Return the stems sharing a group with a configured stem, in the sense its text means.

    A word in several groups ("line": phone line or queue) keeps only the groups that another
    word of the same text also belongs to, when some do.
    """
    groups = [stems for stems in _GROUPS if term in stems]
    meant = [stems for stems in groups if (stems - {term}) & context]
    if len(groups) > 1 and meant:
        groups = meant
    return set().union(*groups) - {term} if groups else set()


class TouchpointDetector:
    """Detects touchpoints in free text; built once per routing config, reused for every comment."""

    def __init__(self, specs: list[TouchpointSpec]) -> None:
        self.specs = specs
        # The name a team gives a touchpoint is read as the first item of its description.
        configured = {
            spec.name: f"{spec.name.replace('_', ' ')}: {spec.description}" for spec in specs
        }
        heads = {name: _heads(text) for name, text in configured.items()}
        words_of = {s.name: _words(" ".join((configured[s.name], *s.keywords))) for s in specs}
        # stem -> touchpoint -> (weight, the configured word it stands for, or None if itself)
        self._index: dict[str, dict[str, tuple[float, str | None]]] = defaultdict(dict)
        for spec in specs:
            words = words_of[spec.name]
            context = {term for _, term in words if " " not in term}
            for word, term in words:
                if " " in term:
                    self._add(term, spec.name, PHRASE, None)
                    continue
                share = 1.0
                if heads[spec.name].get(term) is False and any(
                    found.get(term) for name, found in heads.items() if name != spec.name
                ):
                    share = MODIFIER
                if _evaluative(word):
                    share = MODIFIER
                self._add(term, spec.name, DIRECT * share, None)
                for near in _related(term, context):
                    self._add(near, spec.name, RELATED * share, word)
        # Words shared by many touchpoints ("flight", "service") say little about which one.
        self._idf = {
            term: math.log(len(specs) / len(owners)) + 0.1 for term, owners in self._index.items()
        }
        self._vectors = word_vectors()
        # Configured words with a vector: (touchpoint, word as written), and their vectors.
        self._anchors = [
            (name, word)
            for name, words in words_of.items()
            for word, term in words
            if " " not in term and self._vectors.row(word) is not None and not _evaluative(word)
        ]
        rows = [self._vectors.row(word) for _, word in self._anchors]
        self._anchor_matrix = self._vectors.vectors([r for r in rows if r is not None]).T
        self._order = {spec.name: i for i, spec in enumerate(specs)}
        self._anchor_owner = np.array([self._order[name] for name, _ in self._anchors], dtype=int)
        self._nearest: dict[int, tuple[str, str, float] | None] = {}

    def _add(self, term: str, name: str, weight: float, synonym_of: str | None) -> None:
        if self._index[term].get(name, (0.0, None))[0] < weight:
            self._index[term][name] = (weight, synonym_of)

    def _similar_candidate(self, word: str) -> bool:
        """Tell whether a comment word may be matched by similarity: not too common."""
        return self._vectors.frequency(word) < COMMON

    def _nearest_anchor(self, word: str) -> tuple[str, str, float] | None:
        """Return (touchpoint, configured word, similarity) for the closest configured word."""
        row = self._vectors.row(word)
        if row is None or not self._anchors:
            return None
        # Cached by vocabulary row, so the cache is bounded by the shipped vocabulary.
        if row not in self._nearest:
            similarities = self._vectors.vectors([row])[0] @ self._anchor_matrix
            best = int(np.argmax(similarities))
            others = similarities[self._anchor_owner != self._anchor_owner[best]]
            runner_up = float(others.max()) if others.size else -1.0
            found = None
            if similarities[best] >= SIMILAR and similarities[best] - runner_up >= MARGIN:
                found = (*self._anchors[best], float(similarities[best]))
            self._nearest[row] = found
        return self._nearest[row]

    def detect(self, text: str) -> list[TouchpointMatch]:
        """Return matching touchpoints, best first; empty when nothing matches."""
        scores: dict[str, float] = defaultdict(float)
        evidence: dict[str, list[str]] = defaultdict(list)
        seen: set[str] = set()
        for tone, word, term in _weighted_words(text):
            if term in seen:
                continue
            seen.add(term)
            for name, (weight, synonym_of) in self._index.get(term, {}).items():
                scores[name] += tone * weight * self._idf[term]
                evidence[name].append(f"{word}~{synonym_of}" if synonym_of else word)
            if term not in self._index and " " not in term and self._similar_candidate(word):
                nearest = self._nearest_anchor(word)
                if nearest:
                    name, source, similarity = nearest
                    scores[name] += tone * SIMILAR_WEIGHT * similarity
                    evidence[name].append(f"{word}≈{source} {similarity:.2f}")
        ranked = sorted(scores, key=lambda n: (-scores[n], self._order[n]))
        return [TouchpointMatch(n, round(scores[n], 3), tuple(evidence[n])) for n in ranked]
