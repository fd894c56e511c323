"""A touchpoint model learnt from a deployment's own cases, blended with the descriptions.

It learns from two kinds of labelled case: corrections (a person moved the case to another
touchpoint) and confirmations (a case the router routed was resolved or closed without one).
People correct the router's mistakes, so corrections alone say "the descriptions were wrong" every
time: a model fitted on them learns to overrule the descriptions, and descriptions alone score
0 on held-back corrections, so no gate on them can see it (replayed on the airline tweets, such a
model routed 0.16-0.29 where descriptions alone routed 0.52-0.62). Confirmations are what the
descriptions get right; with them, training and judging see the deployment as it is.

The model is a multinomial logistic regression whose inputs are the description detector's own
view of a comment (each touchpoint's description score, log-compressed, and which touchpoint the
descriptions chose), the comment's stems and word pairs (the same terms the detector reads), and
its meaning: the mean of its words' shipped vectors, so that a word no correction contained yet
still lands near the corrected ones.
The descriptions are thus one input among others: with no corrections the blend is the
descriptions, and each correction lets the words a team's customers actually use ("carousel",
"suitcase") move the decision, by as much as the corrections support. L2 on the word weights
keeps a word seen once from overruling the descriptions; the description weights and the
touchpoint biases are not penalised. numpy only, trained in seconds on thousands of examples,
and a blend costs a handful of row look-ups per comment.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from services.router.touchpoints import TouchpointMatch
from services.router.touchpoints import _words as detector_terms
from services.router.vectors import word_vectors

L2 = 1.0  # penalty on word weights, in examples: a word needs a few corrections to count
L2_MEANING = 0.3  # penalty on the weights of the comment's meaning (its mean word vector)
SIF = 1e-4  # a word's weight in the meaning is SIF / (SIF + its frequency in English)
ITERATIONS, STEP = 300, 0.1  # full-batch Adam from zero: deterministic, converged by then
MAX_TERMS = 20_000  # the most frequent terms kept when a deployment has very many corrections
SHOWN = 0.05  # a touchpoint no description matched is listed when the blend gives it this much
EXPLAIN_WORDS = 3


class Detector(Protocol):
    """Anything that ranks touchpoints for a comment, as the description detector does."""

    def detect(self, text: str) -> list[TouchpointMatch]: ...


@dataclass(frozen=True)
class Example:
    """A comment and its touchpoint: corrected by a person, or confirmed by a case closed as
    routed (`confirmed`)."""

    text: str
    touchpoint: str
    confirmed: bool = False


def meaning(read: Sequence[tuple[str, str]]) -> np.ndarray:
    """Return the meaning of a comment read into (word, stem) pairs: the unit mean of its
    words' vectors, rare words weighing more.

    Words a team's customers use that no correction contained yet ("suitcase" when the
    corrections said "bag") still land near the corrected ones; SIF weights keep the common
    words from drowning the topic.
    """
    vectors = word_vectors()
    rows, weights = [], []
    for word, _ in read:
        row = None if " " in word else vectors.row(word)
        if row is not None:
            rows.append(row)
            weights.append(SIF / (SIF + float(vectors.frequencies[row])))
    if not rows:
        return np.zeros(vectors.matrix.shape[1])
    mean = np.asarray(weights) @ vectors.vectors(rows)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


@dataclass(frozen=True, eq=False)
class LearntModel:
    """One trained version: weights per term and touchpoint, plus the descriptions' weights."""

    version: int
    classes: tuple[str, ...]
    vocabulary: Mapping[str, int]
    weights: np.ndarray  # terms x classes, centred per term (softmax ignores a shared shift)
    bias: np.ndarray  # classes
    description: np.ndarray  # (weight of log(1 + description score), weight of "chosen")
    examples: int
    meaning: np.ndarray | None = None  # vector dimensions x classes; None in older models

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """Position of each touchpoint in `classes`."""
        return {name: i for i, name in enumerate(self.classes)}

    @functools.cached_property
    def rows(self) -> dict[str, list[float]]:
        """Each term's weights as plain floats, for the per-comment blend."""
        return {term: self.weights[i].tolist() for term, i in self.vocabulary.items()}

    def to_payload(self) -> dict[str, Any]:
        """Return the model as plain JSON values (the touchpoint_models.payload column)."""
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "classes": list(self.classes),
            "terms": words,
            "weights": np.round(self.weights, 4).tolist(),
            "bias": np.round(self.bias, 4).tolist(),
            "description": np.round(self.description, 4).tolist(),
            "examples": self.examples,
            "meaning": None if self.meaning is None else np.round(self.meaning, 4).tolist(),
        }

    @classmethod
    def from_payload(cls, version: int, payload: Mapping[str, Any]) -> LearntModel:
        """Rebuild a model stored by `to_payload`."""
        classes = tuple(payload["classes"])
        weights = np.array(payload["weights"], dtype=np.float64).reshape(-1, len(classes))
        return cls(
            version=version,
            classes=classes,
            vocabulary={term: i for i, term in enumerate(payload["terms"])},
            weights=weights,
            bias=np.array(payload["bias"], dtype=np.float64),
            description=np.array(payload["description"], dtype=np.float64),
            examples=int(payload["examples"]),
            meaning=None
            if payload.get("meaning") is None
            else np.array(payload["meaning"], dtype=np.float64).reshape(-1, len(classes)),
        )

    def with_version(self, version: int) -> LearntModel:
        """Return the same weights under another version number (once the row has its id)."""
        return LearntModel(
            version, self.classes, self.vocabulary, self.weights, self.bias, self.description,
            self.examples, self.meaning,
        )  # fmt: skip


def classes_of(touchpoints: Sequence[str], default: str) -> tuple[str, ...]:
    """Return the touchpoints a model chooses among: the configured ones and the default."""
    return tuple(dict.fromkeys((*touchpoints, default)))


def _description_inputs(
    classes: Sequence[str], detected: Sequence[TouchpointMatch], default: str
) -> tuple[np.ndarray, np.ndarray]:
    """Turn the detector's matches into per-touchpoint inputs: log(1 + score), and chosen."""
    index = {name: i for i, name in enumerate(classes)}
    score, chosen = np.zeros(len(classes)), np.zeros(len(classes))
    for match in detected:
        if match.name in index:
            score[index[match.name]] = np.log1p(max(match.score, 0.0))
    first = detected[0].name if detected else default
    if first in index:
        chosen[index[first]] = 1.0
    return score, chosen


def train(
    examples: Sequence[Example], detector: Detector, classes: Sequence[str], default: str,
    *, version: int = 0,
) -> LearntModel:  # fmt: skip
    """Fit the model on labelled comments; labels outside `classes` are left out."""
    index = {name: i for i, name in enumerate(classes)}
    kept = [e for e in examples if e.touchpoint in index]
    read = [detector_terms(e.text) for e in kept]  # each comment read once, for both inputs
    term_sets = [{term for _, term in pairs} for pairs in read]
    counts: dict[str, int] = {}
    for found in term_sets:
        for term in found:
            counts[term] = counts.get(term, 0) + 1
    frequent = sorted(counts, key=lambda t: (-counts[t], t))[:MAX_TERMS]
    vocabulary = {term: i for i, term in enumerate(sorted(frequent))}
    rows, cols = _sparse(term_sets, vocabulary)
    inputs = [_description_inputs(classes, detector.detect(e.text), default) for e in kept]
    scores = np.array([s for s, _ in inputs]).reshape(len(kept), len(classes))
    chosen = np.array([c for _, c in inputs]).reshape(len(kept), len(classes))
    labels = np.array([index[e.touchpoint] for e in kept], dtype=int)
    dense = np.array([meaning(pairs) for pairs in read]).reshape(len(kept), -1)
    weights, bias, description, senses = _fit(
        rows, cols, scores, chosen, dense, labels, (len(vocabulary), len(classes))
    )
    weights -= weights.mean(axis=1, keepdims=True)  # a term's push is then its weight
    senses -= senses.mean(axis=1, keepdims=True)
    return LearntModel(
        version, tuple(classes), vocabulary, weights, bias, description, len(kept), senses
    )


def _sparse(term_sets: Sequence[set[str]], vocabulary: Mapping[str, int]) -> tuple[Any, Any]:
    """Return the (example, term) index pairs of a binary bag of terms."""
    pairs = [
        (r, vocabulary[t]) for r, found in enumerate(term_sets) for t in found if t in vocabulary
    ]
    rows = np.array([r for r, _ in pairs], dtype=int)
    cols = np.array([c for _, c in pairs], dtype=int)
    return rows, cols


def _fit(
    rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, chosen: np.ndarray,
    dense: np.ndarray, labels: np.ndarray, shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Minimise mean cross-entropy + L2/(2n) |word weights|^2 + L2_MEANING/(2n) |meaning
    weights|^2 with full-batch Adam."""
    n, k = len(labels), shape[1]
    params = [np.zeros(shape), np.zeros(k), np.zeros(2), np.zeros((dense.shape[1], k))]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    target = np.eye(k)[labels] if n else np.zeros((0, k))
    if n == 0:
        return params[0], params[1], params[2], params[3]
    for step in range(1, ITERATIONS + 1):
        weights, bias, description, senses = params
        logits = bias + description[0] * scores + description[1] * chosen + dense @ senses
        np.add.at(logits, rows, weights[cols])
        error = (_softmax(logits) - target) / n
        grad_weights = L2 * weights / n
        np.add.at(grad_weights, cols, error[rows])
        grads = [
            grad_weights,
            error.sum(axis=0),
            np.array([(error * scores).sum(), (error * chosen).sum()]),
            dense.T @ error + L2_MEANING * senses / n,
        ]
        for i, grad in enumerate(grads):
            moments[i] = 0.9 * moments[i] + 0.1 * grad
            squares[i] = 0.999 * squares[i] + 0.001 * grad * grad
            mean = moments[i] / (1 - 0.9**step)
            scale = np.sqrt(squares[i] / (1 - 0.999**step)) + 1e-8
            params[i] -= STEP * mean / scale
    return params[0], params[1], params[2], params[3]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def blend(
    model: LearntModel, text: str, detected: Sequence[TouchpointMatch], default: str
) -> list[TouchpointMatch]:
    """Rank touchpoints by the blend of descriptions and learnt words, best first.

    The score is the blend's probability. The first touchpoint's evidence names the model
    version, the words that pushed it most and how much what was learnt (words and how often
    each touchpoint is the answer) changed its probability from the descriptions' weight alone
    ("learnt v3: suitcase, carousel +0.62").
    """
    # Plain Python floats: for a handful of touchpoints that is several times faster than numpy.
    index, rows = model.index, model.rows
    by_score, by_choice = model.description.tolist()
    described = [0.0] * len(model.classes)
    for match in detected:
        if match.name in index:
            described[index[match.name]] += by_score * math.log1p(max(match.score, 0.0))
    first = detected[0].name if detected else default
    if first in index:
        described[index[first]] += by_choice
    read = detector_terms(text)  # once per comment: the learnt words and the meaning share it
    found = sorted({term for _, term in read if term in rows})  # a fixed order: same sums
    logits = [d + b for d, b in zip(described, model.bias.tolist(), strict=True)]
    sensed = [0.0] * len(logits)
    if model.meaning is not None:
        sensed = (meaning(read) @ model.meaning).tolist()
        logits = [z + m for z, m in zip(logits, sensed, strict=True)]
    for term in found:
        logits = [z + w for z, w in zip(logits, rows[term], strict=True)]
    probability = _probabilities(logits)
    evidence = {m.name: m.evidence for m in detected}
    ranked = []
    for position, i in enumerate(sorted(range(len(probability)), key=lambda i: -probability[i])):
        name = model.classes[i]
        if position > 0 and name not in evidence and probability[i] < SHOWN:
            continue
        told = evidence.get(name, ())
        if position == 0:
            shift = probability[i] - _probabilities(described)[i]
            told = (*told, _explain(model, i, found, sensed[i], shift))
        ranked.append(TouchpointMatch(name, round(probability[i], 3), told))
    return ranked


def _probabilities(logits: list[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


def _explain(model: LearntModel, i: int, found: list[str], sensed: float, shift: float) -> str:
    """Say which learnt words (or the comment's meaning) moved the chosen touchpoint, and by how
    much in probability."""
    push = {t: model.rows[t][i] for t in found} | {"its meaning": sensed}
    words = [t for t in sorted(push, key=lambda t: -push[t]) if push[t] > 0][:EXPLAIN_WORDS]
    said = ", ".join(words) if words else "no learnt word"
    return f"learnt v{model.version}: {said} {shift:+.2f}"


class Blended:
    """The description detector with a learnt model on top: what the router uses once active."""

    def __init__(self, detector: Detector, model: LearntModel, default: str) -> None:
        self.detector, self.model, self.default = detector, model, default

    def detect(self, text: str) -> list[TouchpointMatch]:
        """Return the blended ranking (see `blend`)."""
        return blend(self.model, text, self.detector.detect(text), self.default)
