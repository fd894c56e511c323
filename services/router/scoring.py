"""Sentiment of a comment: TextBlob's lexicon at the core, corrected for how customers complain."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from textblob.en import sentiment as textblob_sentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from services.router import foreign, idioms, language, lexicon, reading, severity
from services.router.text import normalise, stem, tokenise

_CONTRAST = frozenset(("but", "however", "although", "though"))
_CONTRAST_WORD = re.compile(rf"\b(?:{'|'.join(_CONTRAST)})\b", re.IGNORECASE)
# Weight of the clauses before a contrast word: "Not bad, but ..." is decided by what follows.
_BEFORE_CONTRAST = 0.35
# A negator turns a cue this many words after it ("not delayed", "no major issues"), or up to
# _LIGHT_SPAN words after it when only these stand between ("haven't had any issues").
_NEGATION_SPAN = 2
_LIGHT_SPAN = 4
_LIGHT = frozenset(("a", "an", "the", "ani", "singl", "have", "has", "had", "be", "been", "to"))


@dataclass(frozen=True)
class Sentiment:
    """What the comment says about how the customer feels, and why we think so."""

    polarity: float
    subjectivity: float
    language: str = "en"
    analysed: bool = True
    evidence: tuple[str, ...] = ()
    # Sentences that read alone are complaints, in a comment that is not one as a whole.
    gripes: tuple[str, ...] = ()


def _clauses(tokens: list[str]) -> list[tuple[float, list[str]]]:
    """Split at contrast words; clauses before the last one count for less."""
    cuts = [i for i, t in enumerate(tokens) if t in _CONTRAST and 0 < i < len(tokens) - 1]
    if not cuts:
        return [(1.0, tokens)]
    last = cuts[-1]
    return [(_BEFORE_CONTRAST, tokens[:last]), (1.0, tokens[last + 1 :])]


# First words of the cue phrases: only these can start one, so other words skip the look-ups.
_PHRASE_STARTS = frozenset(
    phrase.split()[0]
    for phrase in (*lexicon.COMPLAINT_PHRASES, *lexicon.PRAISE_PHRASES, *lexicon.NOT_CUES)
)


_WITHOUT_ANY = "without ani"


def _complaint_term_at(stems: list[str], i: int) -> bool:
    return i < len(stems) and lexicon.COMPLAINT_TERMS.get(stems[i], 0.0) < 0


def _cue_at(stems: list[str], i: int) -> tuple[float | None, int]:
    """The cue starting at stem i, if any, and how many stems it spans (longest phrase first)."""
    if stems[i] in _PHRASE_STARTS:
        for size in (4, 3, 2):
            if len(stems) - i < size:
                continue
            phrase = " ".join(stems[i : i + size])
            if phrase in lexicon.NOT_CUES:
                return None, size
            value = lexicon.COMPLAINT_PHRASES.get(phrase, lexicon.PRAISE_PHRASES.get(phrase))
            if value is not None and phrase == _WITHOUT_ANY and _complaint_term_at(stems, i + size):
                return None, 1  # "without any lag": a negated complaint, read at "lag"
            if value is not None:
                return value, size
    following = stems[i + 1] if i + 1 < len(stems) else ""
    if stems[i] == "too" and following.isalpha() and following not in lexicon.NOT_EXCESS:
        return lexicon.EXCESS, 1
    value = (
        lexicon.COMPLAINT_TERMS.get(stems[i])
        or lexicon.PRAISE_TERMS.get(stems[i])
        or lexicon.DEMAND_WORDS.get(stems[i])
    )
    return value, 1


def _negators_of(stems: list[str], i: int) -> list[int]:
    """The negators that turn the cue at i: up to two words before it, or further back across
    only articles, quantifiers and light verbs ("never had any problems", "didn't have to wait";
    not "will not fix the problem", where "not" negates the fixing)."""
    found = [j for j in range(max(0, i - _NEGATION_SPAN), i) if stems[j] in lexicon.NEGATORS]
    first, j = max(0, i - _LIGHT_SPAN), i - 1
    while j >= first and stems[j] in _LIGHT:
        j -= 1
    if first <= j < i - _NEGATION_SPAN and stems[j] in lexicon.NEGATORS:
        found.append(j)
    return found


def _cues(tokens: list[str], weight: float, evidence: list[str]) -> tuple[float, float, int]:
    """Sum the complaint (negative) and praise (positive) cues of one clause, honouring negation.

    A negated cue turns: "not friendly" is a mild complaint, "no delays" or "never disappointed"
    mild praise (a remedy asked for or a demand stays what it was: "no refund" is no praise). The
    negator that turned a complaint, or that opens a praise phrase ("no problem"), is spent: it
    is not a complaint cue itself ("never") and not counted among the sentence's negations.
    Returns the two sums and the number of negators spent.
    """
    stems = [stem(t) for t in tokens]
    cues: list[tuple[int, int, float]] = []
    spent: set[int] = set()
    i = 0
    while i < len(stems):
        value, size = _cue_at(stems, i)
        if value and size > 1:
            if value > 0 and stems[i] in lexicon.NEGATORS:
                spent.add(i)
        elif value:
            negators = _negators_of(stems, i)
            if negators and (value > 0 or stems[i] not in lexicon.NOT_TURNED_BY_NEGATION):
                value = -0.5 * value
                if value > 0:
                    spent.update(negators)
            elif negators:
                value = 0.0
        if value:
            cues.append((i, size, value))
        i += size
    complaint = praise = 0.0
    for start, size, value in cues:
        if size == 1 and start in spent:
            continue
        if value < 0:
            complaint += weight * value
        else:
            praise += weight * value
        evidence.append(f"{' '.join(tokens[start : start + size])!r} {weight * value:+.2f}")
    return complaint, praise, len(spent)


@cache
def vader() -> SentimentIntensityAnalyzer:
    """VADER with the customer-feedback words its lexicon lacks (`lexicon.VADER_ADDED`)."""
    analyser = SentimentIntensityAnalyzer()
    analyser.lexicon.update(lexicon.VADER_ADDED)
    return analyser


def _emoji(text: str, evidence: list[str]) -> float:
    total = 0.0
    for char in {c for c in text if c in lexicon.EMOJI}:
        total += lexicon.EMOJI[char]
        evidence.append(f"emoji {char} {lexicon.EMOJI[char]:+.2f}")
    for face, value in lexicon.EMOTICONS.items():
        if face in text:
            total += value
            evidence.append(f"emoticon {face} {value:+.2f}")
    return total


def _textblob(
    clauses: list[tuple[float, list[str]]], evidence: list[str]
) -> tuple[float, float, float]:
    """TextBlob polarity per clause, averaged by clause weight over the clauses it could score.

    Also returns TextBlob's own, unfiltered polarity (the mean of all its assessments), which the
    response-level model reads without a second pass of TextBlob over the text.
    """
    scored = []
    every: list[float] = []
    contrast = len(clauses) > 1
    for weight, tokens in clauses:
        # Our tokens are TextBlob's own for this text (checked on the dev sets): skip its tokenizer.
        found = textblob_sentiment.assessments(((t, None) for t in tokens), True)
        every.extend(a[1] for a in found)
        assessments = [
            a
            for a in found
            if [w for w in a[0] if w != "!"][-1:] != [] and a[0][-1] not in lexicon.TEXTBLOB_NEUTRAL
        ]
        if assessments:
            polarity = sum(a[1] for a in assessments) / len(assessments)
            subjectivity = sum(a[2] for a in assessments) / len(assessments)
            scored.append((weight, polarity, subjectivity))
            words = "; ".join(" ".join(a[0]) for a in assessments)
            evidence.append(f"textblob {polarity:+.2f} x{weight:g} ({words})")
        elif contrast:
            # An unscored clause after "but" still outweighs praise before it.
            scored.append((weight, 0.0, 0.0))
    raw = sum(every) / len(every) if every else 0.0
    if not any(p for _, p, _ in scored):
        return 0.0, 0.0, raw
    total = sum(w for w, _, _ in scored)
    polarity = sum(w * p for w, p, _ in scored) / total
    return polarity, sum(w * s for w, _, s in scored) / total, raw


def _plain(clean: str, evidence: list[str]) -> str:
    """Put idioms into the plain words every scorer reads right ("could not be better": excellent).

    An idiom with a negator among the three words before it stays as written: in "never resolved
    my issue" the issue stands.
    """

    def plain(found: re.Match[str]) -> str:
        if idioms.NEGATORS.intersection(tokenise(clean[: found.start()])[-3:]):
            return found.group(0)
        meaning = idioms.MEANING[str(found.lastgroup)]
        evidence.append(f"idiom {found.group(0)!r} read as {meaning!r}")
        return meaning

    if not idioms.may_hold(clean):
        return clean
    read, count = idioms.PATTERN.subn(plain, clean.replace("\u2019", "'"))
    return read if count else clean


def measure(clean: str) -> tuple[dict[str, float], list[str]]:
    """Measure the signals of text that `normalise` already cleaned (the sentences of a comment)."""
    evidence: list[str] = []
    tokens = tokenise(clean)
    clauses = _clauses(tokens)
    if len(clauses) > 1:
        evidence.append(f"contrast: clause before it weighted {_BEFORE_CONTRAST:g}")
    polarity, subjectivity, raw = _textblob(clauses, evidence)
    complaint = praise = 0.0
    spent = 0
    for weight, words in clauses:
        more_complaint, more_praise, more_spent = _cues(words, weight, evidence)
        complaint += more_complaint
        praise += more_praise
        spent += more_spent
    spans = lexicon.TIME_SPAN.findall(clean.lower())
    if spans:
        complaint -= 0.3
        evidence.append(f"time span {spans[0]!r} -0.30")
    # The severe kinds the priority counts (money lost, safety, a threat to leave, legal action,
    # abuse, contact repeated without an answer) are complaints however flatly they are told.
    kinds = severity.complaint_kinds(clean)
    for kind, said in kinds:
        evidence.append(f"{severity.KINDS[kind]}: {said!r}")
    emphasis = "!" in tokens or any(w.isupper() and len(w) > 2 for w in clean.split())
    signals = {
        "textblob": polarity,
        "subjectivity": subjectivity,
        "complaint": complaint,
        "praise": praise,
        "emoji": _emoji(clean, evidence),
        "vader": vader().polarity_scores(clean)["compound"],
        "emphatic_complaint": complaint if emphasis else 0.0,
        "question": float("?" in tokens),
        "complaint_kind": float(len(kinds)),
        # Negations that turned a complaint into praise ("no issues") are not counted.
        "negations": float(sum(t in lexicon.NEGATORS for t in tokens) - spent),
        "textblob_raw": raw,
    }
    return signals, evidence


# A sentence turns at its first "but" or "however" ("Friendly staff, but the room was filthy"), or
# where a problem it tells of was resolved ("Had an issue with billing, they sorted it the same
# day"): what follows is what the reader takes away. Each part is measured alone and weighs per
# character 0.5 before the turn and 1.5 after it, the weights VADER gives words either side of
# "but". ("Although" and "though" are left to the clause weights above: what follows them may be
# the concession or the point.)
_TURN = re.compile(rf"\b(?:but|however)\b|(?=\b{idioms.RESOLVED}\b)", re.IGNORECASE)
_BEFORE_TURN, _AFTER_TURN = 0.5, 1.5


def _sarcasm(clean: str, evidence: list[str]) -> str:
    """Read delight at a complaint as the complaint it is (see idioms.SARCASM)."""
    found = idioms.SARCASM.match(clean)
    if found is None or idioms.RESOLUTION.search(clean):
        return clean
    name = "verb" if found.group("verb") else "if"
    signals = measure(_CONTRAST_WORD.split(clean[found.end(name) :], maxsplit=1)[0])[0]
    if signals["complaint"] + signals["praise"] >= 0 or signals["textblob"] > 0:
        return clean  # "Love how easy it is to cancel": what delights is the ease
    said = found.group(name)
    tense = said.lower()
    meaning = "hated" if tense.endswith("ed") else "hating" if tense.endswith("ing") else "hate"
    evidence.append(f"sarcasm: {said!r} around a complaint, read as {meaning!r}")
    return clean[: found.start(name)] + meaning + clean[found.end(name) :]


def measure_sentence(clean: str) -> tuple[dict[str, float], list[str]]:
    """Measure one sentence of a comment as a reader weighs it: after its turn, if it has one.

    Idioms are put into plain words first, and delight at a complaint into the complaint, for
    every part.
    """
    idioms: list[str] = []
    clean = _sarcasm(_plain(clean, idioms), idioms)
    turn = next(
        (
            t
            for t in _TURN.finditer(clean)
            if clean[: t.start()].strip() and clean[t.end() :].strip()
        ),
        None,
    )
    if turn is None:
        signals, evidence = measure(clean)
        return signals, [*idioms, *evidence]
    before, after = clean[: turn.start()], clean[turn.end() :]
    (early, said_before), (late, said_after) = measure(before), measure(after)
    weight_before, weight_after = _BEFORE_TURN * len(before), _AFTER_TURN * len(after)
    total = weight_before + weight_after
    signals = {k: (early[k] * weight_before + late[k] * weight_after) / total for k in early}
    at = repr(turn.group(0).lower()) if turn.group(0) else "the problem's resolution"
    turned = (
        f"turns at {at}: what follows weighs {_AFTER_TURN:g}, what came before {_BEFORE_TURN:g}"
    )
    return signals, [*idioms, turned, *said_before, *said_after]


# A null answer opens the comment and ends it or ends at punctuation ("Nothing, all good").
_NULL_ANSWER = re.compile(
    r"\s*(?P<answer>" + "|".join(lexicon.NULL_ANSWERS) + r")\s*(?:[,.;:!\-\u2013\u2014]+|$)",
    re.IGNORECASE,
)


def _null_answer(clean: str) -> tuple[str, str] | None:
    """Split a comment that opens with a null answer ("Nothing to improve.") from what follows."""
    found = _NULL_ANSWER.match(clean)
    if found is None:
        return None
    return found.group("answer"), clean[found.end() :].strip()


# Evidence lists the cues of the sentences that carried the decision, at most this many.
_SENTENCES_SHOWN = 3
_GRIPE_CHARS = 160


def _quote(sentence: str) -> str:
    return sentence if len(sentence) <= _GRIPE_CHARS else sentence[: _GRIPE_CHARS - 1] + "\u2026"


def score_english(text: str, clean: str | None = None) -> Sentiment:
    """Read an English comment sentence by sentence and decide for the whole of it."""
    clean = normalise(text) if clean is None else clean
    sentences = reading.split_sentences(clean)
    result = reading.read(sentences, measure_sentence)
    evidence: list[str] = []
    carried = sorted(result.sentences, key=lambda r: -abs(r.contribution))[:_SENTENCES_SHOWN]
    many = len(result.sentences) > 1
    for sentence in result.sentences:
        if sentence not in carried:
            continue
        if many:
            evidence.append(f"sentence {_quote(sentence.text)!r} {-sentence.contribution / 2:+.2f}")
        evidence.extend(sentence.evidence)
    evidence.append(
        f"read {len(sentences)} sentence(s): {-result.log_odds / 2:+.2f} in all, "
        f"whole-text VADER and TextBlob {-result.whole / 2:+.2f}"
    )
    evidence.append("strongest: " + ", ".join(f"{n} {v:+.2f}" for n, v in result.strongest()))
    gripes: tuple[str, ...] = ()
    if result.log_odds <= 0:
        gripes = tuple(_quote(r.text) for r in result.sentences if r.dissatisfied)
    subjectivity = result.summaries["mean_subjectivity"]
    return Sentiment(result.polarity, subjectivity, "en", True, tuple(evidence), gripes)


def analyse(text: str) -> Sentiment:
    """Score polarity (-1..1) and subjectivity (0..1), saying why and in which language."""
    if not text.strip():
        return Sentiment(0.0, 0.0, language="und", analysed=False, evidence=("empty comment",))
    clean = normalise(text)
    null = _null_answer(clean)
    if null is not None:
        said = f"a null answer ({null[0]!r}): nothing to report"
        if not any(c.isalpha() for c in null[1]):
            return Sentiment(0.0, 0.0, "en", True, (said,))
        rest = analyse(null[1])
        return replace(rest, evidence=(f"{said}; the rest read alone", *rest.evidence))
    detected = language.detect(clean)
    if detected.code in ("en", "und"):
        english = score_english(text, clean)
        return replace(english, evidence=(detected.evidence, *english.evidence))
    analyser = foreign.analyser_for(detected.code)
    if analyser is None:
        supported = ", ".join(foreign.supported())
        note = f"not analysed: sentiment is supported for {supported}, not {detected.name}"
        return Sentiment(0.0, 0.0, detected.code, False, (detected.evidence, note))
    polarity, subjectivity = analyser.score(clean)
    note = f"{analyser.language}: scored with {analyser.package}'s lexicon (no complaint cues)"
    return Sentiment(polarity, subjectivity, detected.code, True, (detected.evidence, note))
