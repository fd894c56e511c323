"""Static English word vectors distilled from all-MiniLM-L6-v2, for zero-shot word similarity.

The file is built by bench/build_word_vectors.py (see docs/quality.md): each word of a general
English vocabulary embedded alone by the sentence model, reduced by PCA, stored as int8. Only
numpy is needed here; the file is read once, on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

from services.router.text import stem


@dataclass(frozen=True)
class WordVectors:
    """Unit-length vectors by word: cosine similarity is a dot product."""

    index: dict[str, int]
    matrix: np.ndarray
    frequencies: np.ndarray  # each word's share of English text (wordfreq), by row

    def row(self, word: str) -> int | None:
        """Return the row of a lower-case word, trying its stem when the word itself is missing."""
        found = self.index.get(word)
        return found if found is not None else self.index.get(stem(word))

    def frequency(self, word: str) -> float:
        """Return how often a word occurs in English text; 0 for a word not in the vocabulary."""
        row = self.row(word)
        return 0.0 if row is None else float(self.frequencies[row])

    def vectors(self, rows: list[int]) -> np.ndarray:
        """Return the unit vectors of these rows, one per line."""
        return self.matrix[rows]


@functools.cache
def word_vectors() -> WordVectors:
    """Load the shipped vectors (about 5 MB) once per process."""
    source = resources.files("services.router") / "data" / "word_vectors.npz"
    with resources.as_file(source) as path, np.load(path) as data:
        words = str(data["words"]).split("\n")
        matrix = data["vectors"].astype(np.float32) * data["scales"][:, None]
        frequencies = data["frequencies"].astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return WordVectors({w: i for i, w in enumerate(words)}, matrix, frequencies)
