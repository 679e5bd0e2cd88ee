"""KV-cached vs recomputed greedy decoding of the Transformer captioner (30 tokens, float32).

    python -m bench.kv_cache [--runs 5] [--tokens 30] [--batch 100]

Both decoders emit exactly `--tokens` words per image (no early stop at <END>, so both do the
same number of steps): the cached one runs `init_state` + one `step` per token (each step
computes only the new position against the stored keys and values); the recomputing one runs
the full causal forward over the whole prefix at every step (CS231n's `sample`). Their words
are checked to be identical before timing. Reports the median seconds of each and the median
paired speed-up for a small (W=64) and CS231n-size (W=256, 2048 feed-forward) model.
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np

from bench.common import blas_info, int_at_least, paired_times
from minigrad import no_grad
from zoo.captioning import CaptioningTransformer

SIZES = {"small (W=64, 4 heads, 2 layers, ff 256)": (64, 4, 2, 256),
         "CS231n (W=256, 4 heads, 2 layers, ff 2048)": (256, 4, 2, 2048)}
VOCAB, D = 1004, 512  # CS231n COCO vocabulary and PCA feature sizes


def _model(W: int, heads: int, layers: int, ff: int, max_length: int) -> CaptioningTransformer:
    words = ["<NULL>", "<START>", "<END>"] + [f"w{i}" for i in range(VOCAB - 3)]
    model = CaptioningTransformer({w: i for i, w in enumerate(words)}, D, W, num_heads=heads,
                                  num_layers=layers, max_length=max_length, dim_feedforward=ff,
                                  seed=0)
    rng = np.random.default_rng(1)  # larger weights than the init, so words vary by step
    for p in model.parameters():
        if p.data.ndim == 2:
            p.data[...] = rng.normal(0, 0.2, p.shape)
    return model.eval()


@no_grad()
def cached(model: CaptioningTransformer, feats: np.ndarray, tokens: int) -> np.ndarray:
    """Words (N, tokens) with the key/value cache."""
    state = model.init_state(feats)
    words = np.full(feats.shape[0], model._start, dtype=np.int64)
    out = []
    for _ in range(tokens):
        scores, *state = model.step(words, *state)
        words = scores.argmax(axis=1)
        out.append(words)
    return np.stack(out, axis=1)


@no_grad()
def recomputed(model: CaptioningTransformer, feats: np.ndarray, tokens: int) -> np.ndarray:
    """Words (N, tokens) by a full forward over every prefix."""
    prefix = np.full((feats.shape[0], 1), model._start, dtype=np.int64)
    for _ in range(tokens):
        words = model.scores(feats, prefix).data[:, -1].argmax(axis=1)
        prefix = np.concatenate([prefix, words[:, None]], axis=1)
    return prefix[:, 1:]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.kv_cache",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int_at_least(1), default=5)
    ap.add_argument("--tokens", type=int_at_least(1), default=30)
    ap.add_argument("--batch", type=int_at_least(1), default=100)
    a = ap.parse_args(argv)
    print(f"BLAS: {blas_info()}; {a.tokens} tokens, batch {a.batch}, float32, "
          f"median of {a.runs} paired runs")
    feats = np.random.default_rng(2).standard_normal((a.batch, D)).astype(np.float32)
    for label, (W, h, L, ff) in SIZES.items():
        model = _model(W, h, L, ff, a.tokens + 1)
        same = (cached(model, feats, a.tokens) == recomputed(model, feats, a.tokens)).all()
        if not same:
            raise AssertionError(f"{label}: cached and recomputed words differ")
        t = paired_times({"cached": lambda m=model: cached(m, feats, a.tokens),
                          "recomputed": lambda m=model: recomputed(m, feats, a.tokens)},
                         a.runs, warmup=1)
        ratio = statistics.median(r / c for c, r in zip(t["cached"], t["recomputed"],
                                                         strict=True))
        print(f"{label}: {model.num_parameters():,} params; cached "
              f"{statistics.median(t['cached']):.3f} s, recomputed "
              f"{statistics.median(t['recomputed']):.3f} s, speed-up x{ratio:.2f} "
              f"(words identical)")


if __name__ == "__main__":
    main()
